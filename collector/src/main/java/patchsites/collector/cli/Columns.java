package patchsites.collector.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.IntPredicate;

/** Rows in aligned columns, like objdump's: each column as wide as its widest cell, two spaces apart. */
final class Columns {
    private Columns() {}

    /** Prints {@code rows} (the head first); {@code right} says which columns are right-aligned. No trailing blanks. */
    static void print(PrintWriter out, List<String[]> rows, IntPredicate right) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                w[c] = Math.max(w[c], r[c].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                String pad = " ".repeat(w[c] - r[c].length());
                boolean last = c == r.length - 1;
                sb.append(right.test(c) ? pad + r[c] : last ? r[c] : r[c] + pad).append(last ? "" : "  ");
            }
            out.println(sb);
        }
    }
}
