package patchsites.collector.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import patchsites.collector.fixtures.ScanRun;
import patchsites.fixtures.Tools;

/**
 * {@code scan --pointer} on an object gcc builds at test time, against objdump's view: every
 * {@code ff 15}/{@code ff 25} whose relocation (objdump -drw) names a matching object, or the
 * section symbol + addend inside one (objdump -t), is a site; the slot is symbol + addend + 4
 * (the disp32 is the instruction's last four bytes); the default is the function the data
 * relocation at that slot names (readelf -rW, a section symbol + offset resolved through
 * objdump -t). Nothing expected comes from the scanner.
 */
class PointerFixtureScanTest {
    private static final Pattern SECTION = Pattern.compile("^Disassembly of section (\\S+):$");
    private static final Pattern FUNCTION = Pattern.compile("^([0-9a-f]+) <(.+)>:$");
    private static final Pattern MEMORY_INDIRECT = Pattern.compile(
            "^\\s*([0-9a-f]+):\\s+ff (15|25) 00 00 00 00\\s.*\\t[0-9a-f]+: (R_X86_64_PC32|R_X86_64_PLT32)\\t([^+-]+)([+-]0x[0-9a-f]+)?$");
    private static final Pattern SYMBOL = Pattern.compile("^([0-9a-f]+) (.{7}) (\\S+)\\t([0-9a-f]+) (\\S+)$");
    private static final Pattern DATA_RELOC = Pattern.compile("^([0-9a-f]+)\\s+[0-9a-f]+\\s+R_X86_64_64\\s+[0-9a-f]+\\s+(\\S+) \\+ ([0-9a-f]+)$");
    private static final Predicate<String> POINTERS = n -> n.endsWith("_ops") || n.equals("second_local");

    @TempDir
    Path dir;

    private record Sym(String name, String section, long value, long size, boolean function) {}

    @ParameterizedTest
    @ValueSource(strings = {"kernel", "pie"})
    void sitesMatchObjdump(String model) {
        Path src = Tools.resource("fixtures/x86_pointers.c", dir);
        Path obj = model.equals("kernel") ? Tools.compileC(src, "p.o", "-fno-pic", "-mcmodel=kernel")
                : Tools.compileC(src, "p.o");
        List<String> expected = objdumpSites(obj);
        if (model.equals("kernel")) {
            // The fixture has these shapes; a broken oracle that finds nothing must not pass.
            assertTrue(expected.stream().anyMatch(s -> s.contains("itail")), expected::toString);
            assertTrue(expected.stream().anyMatch(s -> s.contains("local_ops+0x8") && s.endsWith("def_b")),
                    expected::toString);
            assertTrue(expected.stream().anyMatch(s -> s.contains("other_ops") && s.endsWith("null")),
                    expected::toString);
        }
        ScanRun run = ScanRun.scan("--pointer=*_ops", "--pointer=second_local", "--json", obj.toString());
        assertEquals(0, run.rc(), run.describe());
        List<String> actual = new ArrayList<>();
        for (Map<String, Object> r : run.json()) {
            if (r.containsKey("given_up") || r.get("load_offset") != null) {
                continue; // the loaded shape: LoadedPointersTest's
            }
            actual.add(r.get("section") + "+0x" + Long.toHexString(((Number) r.get("offset")).longValue()) + " "
                    + r.get("kind") + " " + r.get("length") + " " + r.get("function") + " " + r.get("pointer") + " "
                    + r.get("default"));
        }
        assertEquals(new TreeSet<>(expected), new TreeSet<>(actual), run.describe());
        assertEquals(expected.size(), actual.size(), run.describe());
    }

    @Test
    void tableShowsTheSlotAndItsDefault() {
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_pointers.c", dir), "p.o", "-fno-pic", "-mcmodel=kernel");
        ScanRun run = ScanRun.scan("--pointer=my_ops", obj.toString());
        assertEquals(0, run.rc(), run.describe());
        List<String> lines = run.outLines();
        assertTrue(lines.get(0).matches("FILE +SECTION +OFFSET +KIND +LEN +TARGET +DEFAULT +FUNCTION"), run.describe());
        assertTrue(lines.stream().anyMatch(l -> l.matches(".* itail +6 +my_ops\\+0x10 +ext_c +f2\\+0x0")), run.describe());
        assertEquals("3 sites (2 icall, 1 itail) in 1 object", lines.get(lines.size() - 1), run.describe());
    }

    @Test
    void unreadablePointersFileIsOneLineError() {
        Path obj = Tools.compileC(Tools.resource("fixtures/x86_pointers.c", dir), "p.o");
        Path missing = dir.resolve("no-such-list.txt");
        ScanRun run = ScanRun.scan("--pointers-file=" + missing, obj.toString());
        assertEquals(2, run.rc(), run.describe());
        assertEquals(1, run.errLines().size(), run.describe());
        assertTrue(run.errLines().get(0).startsWith("patchsites: " + missing + ": error: "), run.describe());
    }

    /** "section+0xoffset kind length function pointer default" per site, from objdump and readelf alone. */
    static List<String> objdumpSites(Path obj) {
        Map<String, List<Sym>> bySection = new HashMap<>();
        for (String line : Tools.ok(obj.getParent(), "objdump", "-t", obj.toString()).split("\n")) {
            Matcher m = SYMBOL.matcher(line);
            if (m.matches()) {
                Sym s = new Sym(m.group(5), m.group(3), Long.parseLong(m.group(1), 16), Long.parseLong(m.group(4), 16),
                        m.group(2).contains("F"));
                bySection.computeIfAbsent(s.section(), k -> new ArrayList<>()).add(s);
            }
        }
        Map<String, String> initializers = new HashMap<>(); // "section+offset" -> function
        String relocated = null;
        for (String line : Tools.ok(obj.getParent(), "readelf", "-rW", obj.toString()).split("\n")) {
            if (line.startsWith("Relocation section '.rela")) {
                relocated = line.substring("Relocation section '.rela".length(), line.indexOf("' at"));
                continue;
            }
            Matcher m = DATA_RELOC.matcher(line.trim());
            if (m.matches()) {
                long addend = Long.parseLong(m.group(3), 16);
                String fn = m.group(2);
                if (bySection.containsKey(fn)) { // a section symbol: the function there
                    fn = bySection.get(fn).stream().filter(s -> s.function() && s.value() == addend)
                            .map(Sym::name).findFirst().orElse(null);
                } else if (addend != 0) {
                    fn = null;
                }
                initializers.put(relocated + "+" + Long.parseLong(m.group(1), 16), fn);
            }
        }
        List<String> sites = new ArrayList<>();
        String section = null, function = null;
        long functionStart = 0;
        for (String line : Tools.ok(obj.getParent(), "objdump", "-drw", obj.toString()).split("\n")) {
            Matcher m;
            if ((m = SECTION.matcher(line)).matches()) {
                section = m.group(1);
            } else if ((m = FUNCTION.matcher(line)).matches()) {
                function = m.group(2);
                functionStart = Long.parseLong(m.group(1), 16);
            } else if ((m = MEMORY_INDIRECT.matcher(line)).matches()) {
                long at = Long.parseLong(m.group(1), 16);
                String sym = m.group(4);
                long slot = (m.group(5) == null ? 0 : Long.decode(m.group(5))) + 4;
                Sym object = null;
                if (bySection.containsKey(sym)) { // section symbol + addend: the object covering it
                    final long a = slot;
                    object = bySection.get(sym).stream().filter(s -> POINTERS.test(s.name()) && s.value() <= a
                            && a < s.value() + Math.max(1, s.size())).findFirst().orElse(null);
                    if (object == null) {
                        continue;
                    }
                    slot -= object.value();
                } else if (!POINTERS.test(sym)) {
                    continue;
                } else {
                    final String n = sym;
                    object = bySection.values().stream().flatMap(List::stream).filter(s -> s.name().equals(n))
                            .findFirst().orElseThrow();
                }
                String def = object.section().equals("*UND*") ? null
                        : initializers.get(object.section() + "+" + (object.value() + slot));
                sites.add(section + "+0x" + Long.toHexString(at) + " " + (m.group(2).equals("15") ? "icall" : "itail")
                        + " 6 " + function + " " + object.name() + (slot == 0 ? "" : "+0x" + Long.toHexString(slot))
                        + " " + def);
            }
        }
        return sites;
    }
}
