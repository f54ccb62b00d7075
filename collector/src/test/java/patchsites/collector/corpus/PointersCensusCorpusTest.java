package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import patchsites.collector.cli.Main;
import patchsites.collector.fixtures.ScanRun;

/**
 * {@code patchsites pointers --pointer=pv_ops} over all of Debian's 6.1 modules at once: per slot,
 * the memory-indirect sites must be the number of {@code .parainstructions} entries of that type
 * (slot / 8) summed over the modules ({@link KernelTables}, no code shared), and no other slot may
 * appear; pv_ops is defined in vmlinux, not in a module, so every slot is "not-seen".
 */
class PointersCensusCorpusTest {
    private static final String TABLE = ".parainstructions";
    private static final int ENTRY = 16, TYPE = 8;
    private static List<Path> modules;

    @BeforeAll
    static void corpus() throws IOException {
        modules = Corpus.modules();
    }

    @Test
    void pvOpsSlotsAreTheTableTypes() {
        Map<String, Integer> expected = new TreeMap<>();
        for (Path ko : modules) {
            try {
                KernelTables t = new KernelTables(ko);
                if (!t.has(TABLE)) {
                    continue;
                }
                int n = t.entries(TABLE, ENTRY, false).size();
                for (int i = 0; i < n; i++) {
                    int type = t.byteAt(TABLE, (long) ENTRY * i + TYPE);
                    expected.merge(type == 0 ? "pv_ops" : "pv_ops+0x" + Integer.toHexString(type * 8), 1, Integer::sum);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<String> args = new ArrayList<>(List.of("pointers", "--pointer=pv_ops", "--json"));
        modules.forEach(m -> args.add(m.toString()));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            rc = Main.run(o, e, args.toArray(String[]::new));
        }
        assertEquals(0, rc, err.toString());
        Map<String, Integer> found = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            if (!line.startsWith("{\"type\":\"slot\",")) {
                continue; // the summary (docs/json.md)
            }
            Map<String, Object> j = ScanRun.FlatJson.parse(line);
            found.put((String) j.get("slot"), ((Number) j.get("memory_indirect")).intValue());
            assertEquals("not-seen", j.get("written"), line);
            assertEquals(0L, j.get("loaded"), line);
        }
        System.out.printf("pointers --pointer=pv_ops: %d slots, %d sites over %d modules%n", found.size(),
                found.values().stream().mapToInt(Integer::intValue).sum(), modules.size());
        assertTrue(expected.size() > 20, "too few slots: wrong corpus? " + expected);
        assertEquals(expected, found);
    }
}
