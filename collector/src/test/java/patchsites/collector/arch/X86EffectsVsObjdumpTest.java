package patchsites.collector.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.fixtures.LoadedPointerOracle;
import patchsites.isa.X86Effects;

/**
 * {@link X86Effects} must never call an instruction harmless to a register that objdump shows it
 * writing: on every instruction of .text in a sample of corpus modules (every 20th, plus the
 * crypto modules), each register that {@link LoadedPointerOracle#writes} (objdump's mnemonic and
 * AT&amp;T destination) says is written must be in the decoder's write set whenever the decoder
 * claims to know the instruction. The reverse (the decoder more cautious than objdump) is allowed.
 */
class X86EffectsVsObjdumpTest {
    private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\t(.*)$");

    @Test
    void knownInstructionsWriteAtLeastWhatObjdumpShows() throws Exception {
        List<Path> all = Corpus.modules();
        List<Path> sample = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (i % 20 == 0 || all.get(i).toString().contains("/arch/x86/crypto/")) {
                sample.add(all.get(i));
            }
        }
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        Map<String, Long> unknownToOracle = new ConcurrentHashMap<>();
        AtomicLong insns = new AtomicLong(), known = new AtomicLong(), compared = new AtomicLong();
        sample.parallelStream().forEach(ko -> {
            try {
                check(ko, problems, unknownToOracle, insns, known, compared);
            } catch (IOException | InterruptedException e) {
                problems.add(ko + ": " + e);
            }
        });
        System.out.printf("X86Effects: %d modules, %d instructions, %d known to the decoder, %d compared with"
                + " objdump; known to the decoder only: %s%n", sample.size(), insns.get(), known.get(), compared.get(),
                new TreeMap<>(unknownToOracle));
        assertTrue(compared.get() > 100_000, "too few instructions compared: " + compared.get());
        Map<String, Long> byInstruction = problems.stream().collect(Collectors.groupingBy(
                p -> p.substring(p.indexOf(' ', p.indexOf(" 0x") + 1) + 1), TreeMap::new, Collectors.counting()));
        assertEquals(Map.of(), byInstruction, () -> problems.stream().sorted().limit(20).collect(Collectors.joining("\n")));
    }

    private static void check(Path ko, ConcurrentLinkedQueue<String> problems, Map<String, Long> unknownToOracle,
            AtomicLong insns, AtomicLong known, AtomicLong compared) throws IOException, InterruptedException {
        ByteBuffer text = X86LengthVsObjdumpTest.textOf(ko);
        if (text == null) {
            return;
        }
        X86Effects e = new X86Effects();
        Process p = new ProcessBuilder("objdump", "-d", "-w", "--no-show-raw-insn", "-j", ".text", ko.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                Matcher m = INSN.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                long at = Long.parseLong(m.group(1), 16);
                String insn = m.group(2).trim();
                insns.incrementAndGet();
                if (e.decode(text, (int) at) <= 0 || !e.known || e.flow != X86Effects.Flow.NEXT) {
                    continue;
                }
                known.incrementAndGet();
                boolean oracleKnows = true;
                for (int reg = 0; reg < 16; reg++) {
                    Boolean w = LoadedPointerOracle.writes(insn, reg);
                    if (w == null) {
                        oracleKnows = false;
                        break;
                    }
                    if (w && (e.writes & (1 << reg)) == 0) {
                        problems.add(ko.getFileName() + " 0x" + Long.toHexString(at) + " " + insn + ": writes "
                                + X86Effects.registerName(reg) + ", the decoder says not");
                    }
                }
                if (oracleKnows) {
                    compared.incrementAndGet();
                } else {
                    unknownToOracle.merge(insn.replaceAll("^((lock|bnd|notrack|cs|ds|data16) )+", "").split("\\s+")[0],
                            1L, Long::sum);
                }
            }
        }
        p.waitFor();
    }
}
