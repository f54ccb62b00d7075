package patchsites.bench.harness;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the harness's report lines: {@code name: key=value key=value ...} (values may be quoted). */
public final class Report {
    private static final Pattern FIELD = Pattern.compile("([a-z0-9/-]+)=(\"[^\"]*\"|\\S+)");

    private Report() {}

    /** The key=value fields of one line, in order. */
    public static Map<String, String> fields(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        Matcher f = FIELD.matcher(line);
        while (f.find()) {
            String v = f.group(2);
            m.put(f.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
        }
        return m;
    }

    /** The fields of the first line of {@code output} that starts with {@code prefix} (e.g. "run: "). */
    public static Map<String, String> line(String output, String prefix) {
        for (String l : output.split("\n")) {
            if (l.startsWith(prefix)) {
                return fields(l);
            }
        }
        throw new IllegalArgumentException("no line starting with '" + prefix + "' in:\n" + output);
    }

    /** Faults and wrong answers of a run line: every failure kind the harness counts. */
    public static long failures(Map<String, String> run) {
        long n = 0;
        for (String k : new String[] {"wrong", "torn", "segv", "ill", "bus", "trap-unexpected", "stale"}) {
            String v = run.get(k);
            if (v == null) {
                throw new IllegalArgumentException("run line without " + k + ": " + run);
            }
            n += Long.parseLong(v);
        }
        return n;
    }
}
