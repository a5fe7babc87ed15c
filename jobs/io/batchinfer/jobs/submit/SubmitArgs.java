package io.batchinfer.jobs.submit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The options of {@code submit.sh} as picocli parses them: the script's own options before CONFIG,
 * everything from CONFIG on for the job. Run where the script runs (no Spark); one per call.
 */
@Command(name = "submit.sh")
final class SubmitArgs {
  @Option(names = "--master")
  String master;

  @Option(names = "--deploy-mode")
  String deployMode = "client";

  @Option(names = "--conf")
  List<String> conf = new ArrayList<>();

  @Option(names = "--properties-file")
  Path propertiesFile;

  @Option(names = "--jar")
  String jar;

  @Option(names = {"--print-command", "--print"})
  boolean print;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true)
  boolean help;

  @Parameters(index = "0", arity = "0..1")
  String config;

  @Parameters(index = "1..*")
  List<String> jobArgs = new ArrayList<>();

  private SubmitArgs() {}

  static SubmitArgs parse(String[] argv) throws SubmitCommand.SubmitException {
    SubmitArgs a = new SubmitArgs();
    CommandLine cli =
        new CommandLine(a).setStopAtPositional(true).setUnmatchedOptionsArePositionalParams(false);
    try {
      cli.parseArgs(argv);
    } catch (CommandLine.ParameterException e) {
      throw new SubmitCommand.SubmitException(
          SubmitCommand.USAGE,
          e.getMessage()
              + " (submit.sh options go before CONFIG, job options after it;"
              + " see submit.sh --help)");
    }
    if (a.help) {
      throw new SubmitCommand.SubmitException(SubmitCommand.HELP, "help");
    }
    return a;
  }
}
