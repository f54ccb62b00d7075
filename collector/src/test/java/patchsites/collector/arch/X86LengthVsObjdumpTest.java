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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.isa.X86Length;

/**
 * The length decoder must put instruction boundaries exactly where GNU objdump does, on real
 * kernel code: every function of .text in a sample of corpus modules (every 4th module, plus
 * the crypto modules full of SSE/AVX/VEX/EVEX encodings) is decoded from its first instruction
 * and compared with objdump's instruction addresses.
 */
class X86LengthVsObjdumpTest {
    private static final Pattern HEADER = Pattern.compile("^([0-9a-f]+) <(.+)>:$");
    private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\t(.*)$");

    @Test
    void boundariesMatchObjdump() throws Exception {
        List<Path> all = Corpus.modules();
        List<Path> sample = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            String s = all.get(i).toString();
            if (i % 4 == 0 || s.contains("/arch/x86/crypto/")) {
                sample.add(all.get(i));
            }
        }
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong insns = new AtomicLong(), functions = new AtomicLong();
        sample.parallelStream().forEach(ko -> {
            try {
                check(ko, problems, insns, functions);
            } catch (IOException | InterruptedException e) {
                problems.add(ko + ": " + e);
            }
        });
        System.out.printf("x86 length decoder: %d modules, %d functions, %d instructions, %d mismatching functions%n",
                sample.size(), functions.get(), insns.get(), problems.size());
        assertTrue(insns.get() > 100_000, "too few instructions compared: " + insns.get());
        assertEquals(List.of(), problems.stream().sorted().limit(20).collect(Collectors.toList()));
    }

    /** A heap copy of {@code ko}'s .text (the mapping is closed before objdump runs), or null when it has none. */
    static ByteBuffer textOf(Path ko) throws IOException {
        try (Source src = Source.map(ko)) {
            ElfFile elf = ElfFile.parse(src);
            int sec = elf.sectionNamed(".text");
            if (sec < 0) {
                return null;
            }
            ByteBuffer d = elf.data(sec);
            ByteBuffer text = ByteBuffer.allocate(d.limit());
            text.put(0, d, 0, d.limit());
            return text;
        }
    }

    private static void check(Path ko, ConcurrentLinkedQueue<String> problems, AtomicLong insns, AtomicLong functions)
            throws IOException, InterruptedException {
        ByteBuffer text = textOf(ko);
        if (text == null) {
            return;
        }
        Process p = new ProcessBuilder("objdump", "-d", "-w", "--no-show-raw-insn", "-j", ".text", ko.toString())
                .redirectErrorStream(true).start();
        List<Long> block = new ArrayList<>();
        String name = null;
        boolean bad = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                Matcher h = HEADER.matcher(line);
                if (h.matches()) {
                    compare(ko, name, block, bad, text, problems, insns, functions);
                    name = h.group(2);
                    block = new ArrayList<>();
                    bad = false;
                    continue;
                }
                Matcher m = INSN.matcher(line);
                if (m.matches() && name != null) {
                    block.add(Long.parseLong(m.group(1), 16));
                    String mn = m.group(2);
                    if (mn.contains("(bad)") || mn.startsWith(".byte")) {
                        bad = true; // objdump itself could not decode: no reference to compare with
                    }
                }
            }
        }
        compare(ko, name, block, bad, text, problems, insns, functions);
        p.waitFor();
    }

    private static void compare(Path ko, String fn, List<Long> addrs, boolean bad, ByteBuffer text,
            ConcurrentLinkedQueue<String> problems, AtomicLong insns, AtomicLong functions) {
        if (fn == null || addrs.isEmpty() || bad) {
            return;
        }
        functions.incrementAndGet();
        long pos = addrs.get(0);
        for (int i = 0; i < addrs.size(); i++) {
            if (pos != addrs.get(i)) {
                problems.add(ko.getFileName() + " <" + fn + ">: objdump has an instruction at 0x"
                        + Long.toHexString(addrs.get(i)) + ", the decoder at 0x" + Long.toHexString(pos));
                return;
            }
            int len = X86Length.length(text, (int) pos, true);
            if (len <= 0) {
                problems.add(ko.getFileName() + " <" + fn + ">: cannot decode at 0x" + Long.toHexString(pos));
                return;
            }
            pos += len;
            insns.incrementAndGet();
        }
    }
}
