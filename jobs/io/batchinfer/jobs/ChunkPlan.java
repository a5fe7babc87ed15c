package io.batchinfer.jobs;

import io.batchinfer.udfs.model.Sha256;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Driver only, pure (no Spark, no file system): how a resumable run cuts its input into chunks.
 * Files are sorted by their canonical path and cut into groups of {@code
 * output.resume_chunk_files}; a chunk's id hashes its files' paths, sizes and modification times,
 * so a rerun over unchanged files plans the same ids and a changed file changes its chunk's id.
 * Immutable.
 *
 * @param chunks the chunks, in input order
 */
record ChunkPlan(List<Chunk> chunks) {

  /** One input file as the chunk id sees it. */
  record InputFile(String path, long length, long modified) {}

  /** A group of input files scored and committed together. */
  record Chunk(int index, String id, List<InputFile> files) {}

  ChunkPlan {
    chunks = List.copyOf(chunks);
  }

  /**
   * @param files the input files, paths in {@link #canonical} form, in any order (duplicates kept
   *     once)
   * @param filesPerChunk files per chunk, at least 1
   * @return the plan
   */
  static ChunkPlan of(List<InputFile> files, int filesPerChunk) {
    if (filesPerChunk < 1) {
      throw new IllegalArgumentException("filesPerChunk must be at least 1: " + filesPerChunk);
    }
    List<InputFile> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(InputFile::path));
    for (int i = sorted.size() - 1; i > 0; i--) {
      if (sorted.get(i).path().equals(sorted.get(i - 1).path())) {
        sorted.remove(i);
      }
    }
    List<Chunk> chunks = new ArrayList<>();
    for (int start = 0, index = 0; start < sorted.size(); start += filesPerChunk, index++) {
      List<InputFile> group =
          List.copyOf(sorted.subList(start, Math.min(start + filesPerChunk, sorted.size())));
      chunks.add(new Chunk(index, chunkId(group), group));
    }
    return new ChunkPlan(chunks);
  }

  /**
   * @return the chunk ids, in order
   */
  List<String> ids() {
    return chunks.stream().map(Chunk::id).toList();
  }

  /**
   * @return {@code file} as {@code scheme:[//authority]/path}, URL-encoded, so {@code inputFiles()}
   *     ({@code file:///x}) and {@code _metadata.file_path} ({@code file:/x}) agree
   */
  static String canonical(String file) {
    URI u = URI.create(file);
    if (u.getScheme() == null) {
      return file;
    }
    String authority = u.getRawAuthority();
    return u.getScheme()
        + ":"
        + (authority == null || authority.isEmpty() ? "" : "//" + authority)
        + u.getRawPath();
  }

  /**
   * @return the first 16 hex digits of the sha256 of the files' paths, sizes and modification times
   */
  static String chunkId(List<InputFile> files) {
    StringBuilder sb = new StringBuilder();
    for (InputFile f : files) {
      sb.append(f.path())
          .append('\t')
          .append(f.length())
          .append('\t')
          .append(f.modified())
          .append('\n');
    }
    return Sha256.hex(sb.toString()).substring(0, 16);
  }
}
