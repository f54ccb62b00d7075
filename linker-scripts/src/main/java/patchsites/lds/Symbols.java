package patchsites.lds;

/** Symbol names that go into generated text must be plain, so the text cannot be subverted. */
final class Symbols {
    private Symbols() {}

    static void check(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty symbol name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || c == '.' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9' && i > 0);
            if (!ok) {
                throw new IllegalArgumentException("'" + name + "' is not a plain symbol name");
            }
        }
    }

    /** Section names go into linker scripts verbatim: letters, digits and {@code . _ $ -} only. */
    static void checkSection(String name) {
        if (name == null || name.isEmpty() || !name.matches("[A-Za-z0-9._$-]+")) {
            throw new IllegalArgumentException("'" + name + "' is not a plain section name");
        }
    }

    /**
     * The identifier used in bound symbols for a section: the name without its leading dots,
     * other non-identifier characters as '_' ({@code .static_call_sites} → {@code static_call_sites}).
     */
    static String sectionIdentifier(String section) {
        String s = section.replaceFirst("^\\.+", "");
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' ? c : '_');
        }
        if (b.length() == 0) {
            throw new IllegalArgumentException("section name '" + section + "' has no identifier characters");
        }
        return b.toString();
    }
}
