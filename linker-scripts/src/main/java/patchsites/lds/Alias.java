package patchsites.lds;

/**
 * A wrapper symbol that callers call and that the final link makes equal to a default
 * implementation ({@code __SCT__filter = filter_default}).
 */
public record Alias(String wrapper, String target) {
    public Alias {
        Symbols.check(wrapper);
        Symbols.check(target);
    }

    /** Parses {@code WRAPPER=DEFAULT}. */
    public static Alias parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
            throw new IllegalArgumentException("alias '" + spec + "' is not WRAPPER=DEFAULT");
        }
        return new Alias(spec.substring(0, eq).strip(), spec.substring(eq + 1).strip());
    }
}
