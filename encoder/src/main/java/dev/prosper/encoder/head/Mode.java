package dev.prosper.encoder.head;

import java.util.Locale;

/** Whether a text is encoded as a query (window k_q) or as a document (window k_d). */
public enum Mode {
  QUERY,
  DOCUMENT;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException naming the allowed values
   */
  public static Mode of(String value) {
    for (Mode mode : values()) {
      if (mode.id().equals(value)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("[mode] must be query or document, got [" + value + "]");
  }
}
