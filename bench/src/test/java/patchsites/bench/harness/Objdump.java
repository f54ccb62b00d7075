package patchsites.bench.harness;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** objdump's view of the harness program: the independent side of the tests. */
final class Objdump {
    private Objdump() {}

    static ConcurrentHarness.Finished disassemble(java.nio.file.Path program) {
        ConcurrentHarness.Finished f = ConcurrentHarness.exec(
                new ProcessBuilder("objdump", "-d", "-w", program.toString()).redirectErrorStream(true), 120);
        if (f.exit() != 0) {
            throw new AssertionError("objdump failed: " + f.output());
        }
        return f;
    }

    // "  405b97:\te8 64 dc ff ff       \tcall   4037f0 <h0_a>"
    private static final Pattern BRANCH = Pattern.compile(
            "^\\s*([0-9a-f]+):\\t((?:[0-9a-f]{2} )+)\\s*\\t(call|jmp|j[a-z]+)\\s+[0-9a-f]+ <([^>+]+)>$", Pattern.MULTILINE);

    /** Address of every direct call/jmp/jcc rel32 to a symbol matching {@code target} -> offset of its rel32. */
    static Map<Long, Integer> branchesTo(String objdump, Pattern target) {
        Map<Long, Integer> m = new HashMap<>();
        Matcher b = BRANCH.matcher(objdump);
        while (b.find()) {
            if (!target.matcher(b.group(4)).matches()) {
                continue;
            }
            String[] bytes = b.group(2).trim().split(" ");
            int field = bytes[0].equals("0f") ? 2 : 1;
            if (bytes.length != field + 4) {
                continue; // a short (rel8) form: not a site
            }
            m.put(Long.parseLong(b.group(1), 16), field);
        }
        return m;
    }
}
