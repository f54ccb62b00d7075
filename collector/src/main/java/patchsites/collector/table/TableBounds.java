package patchsites.collector.table;

import java.util.List;
import patchsites.lds.LinkerScript;

/**
 * Where a linked program keeps a table that is not a section of its own: between two addresses,
 * each given as a symbol name or as a number ({@code 0xffffffff823d27b0}). The kernel names its
 * bounds its own way per table ({@link KernelTables}); a user's linker script may use any names,
 * hence {@code --bounds=START,STOP}.
 */
public record TableBounds(String start, String stop) {
    /** {@code START,STOP} as the command line gives it. */
    public static TableBounds parse(String startComma) {
        int comma = startComma.indexOf(',');
        if (comma <= 0 || comma == startComma.length() - 1 || startComma.indexOf(',', comma + 1) >= 0) {
            throw new IllegalArgumentException("--bounds takes START,STOP (two symbols or 0x addresses), not "
                    + startComma);
        }
        TableBounds b = new TableBounds(startComma.substring(0, comma).strip(), startComma.substring(comma + 1).strip());
        literal(b.start);
        literal(b.stop);
        return b;
    }

    /** The bounds GNU ld and the project's linker scripts define: {@code __start_<id>}/{@code __stop_<id>}. */
    public static List<TableBounds> conventional(String section) {
        return List.of(new TableBounds(LinkerScript.startSymbol(section), LinkerScript.stopSymbol(section)));
    }

    /** A bound given as a number rather than a symbol: its value, else null. */
    static Long literal(String bound) {
        if (bound.startsWith("0x") || bound.startsWith("0X")) {
            try {
                return Long.parseUnsignedLong(bound.substring(2), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--bounds: " + bound + " is not a hexadecimal address");
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return start + "/" + stop;
    }
}
