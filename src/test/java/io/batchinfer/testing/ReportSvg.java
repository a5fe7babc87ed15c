package io.batchinfer.testing;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * Reads the SVG pictures of a {@code report.html} as XML documents, for assertions on their
 * elements.
 */
public final class ReportSvg {
  private ReportSvg() {}

  /**
   * @return the task timeline's SVG of an HTML report, parsed as XML (fails if absent or not
   *     well-formed)
   */
  public static Document timeline(String html) throws Exception {
    int start = html.indexOf("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"task-timeline\"");
    if (start < 0) {
      throw new AssertionError("report.html has no task timeline");
    }
    int end = html.indexOf("</svg>", start) + "</svg>".length();
    return parse(html.substring(start, end));
  }

  /**
   * @return {@code xml} parsed (no DTDs)
   */
  public static Document parse(String xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
  }

  /**
   * @return the {@code tag} elements under the document whose class list holds {@code cls}
   */
  public static List<Element> byClass(Document doc, String tag, String cls) {
    return byClass(doc.getDocumentElement(), tag, cls);
  }

  /**
   * @return the {@code tag} elements under {@code root} whose class list holds {@code cls}
   */
  public static List<Element> byClass(Element root, String tag, String cls) {
    NodeList nodes = root.getElementsByTagName(tag);
    List<Element> found = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      Element e = (Element) nodes.item(i);
      if (hasClass(e, cls)) {
        found.add(e);
      }
    }
    return found;
  }

  /**
   * @return whether {@code e}'s class attribute lists {@code cls}
   */
  public static boolean hasClass(Element e, String cls) {
    return List.of(e.getAttribute("class").split(" ")).contains(cls);
  }
}
