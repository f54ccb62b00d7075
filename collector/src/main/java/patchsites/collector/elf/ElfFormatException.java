package patchsites.collector.elf;

/**
 * The input is not a well-formed object. The message is one line saying what is wrong,
 * without the file name: the caller knows which file (or archive member) it was reading.
 */
public final class ElfFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ElfFormatException(String message) {
        super(oneLine(message), null, false, false);
    }

    /**
     * {@code s} with line breaks and other control characters shown as {@code \xNN}: messages quote
     * names read from the file (sections, symbols, archive members), which may hold anything.
     */
    public static String oneLine(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                sb.append(c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }
}
