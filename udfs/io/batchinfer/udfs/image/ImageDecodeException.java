package io.batchinfer.udfs.image;

/**
 * Thrown when bytes are not an image batchinfer can decode (unknown format, truncated or corrupt
 * data, too many pixels). The message says why without quoting the bytes; the scorer turns it into
 * a {@code decode_error} rejection of the row.
 */
public final class ImageDecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with its reason. */
  public ImageDecodeException(String message) {
    super(message);
  }
}
