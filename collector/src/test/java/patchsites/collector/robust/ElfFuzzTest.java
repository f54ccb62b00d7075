package patchsites.collector.robust;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of scan, emit and audit with Jazzer (docs/robustness.md). Each input
 * says, from its last bytes, what to run (scan, emit or audit, with a variant: options, table,
 * in place or not) and on what: its remaining bytes as they are ("arbitrary bytes"), or a
 * structure-aware mutation ({@link Mutator}) of one of the {@link Seeds} — gcc-built objects,
 * the same with tables, an archive, and small kernel modules from the corpus. The
 * {@link FuzzOracle} decides whether the tool behaved; an input on which it did not is written to
 * {@code target/fuzz-findings/} as the object bytes themselves, ready to be added to the
 * regression corpus {@code src/test/resources/fuzz-regressions/} that {@link FuzzRegressionTest}
 * replays.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs once per seed in Jazzer's regression mode; the
 * {@code fuzz} surefire execution (collector/pom.xml) runs it in fuzzing mode for
 * {@code patchsites.fuzz.seconds}.
 */
class ElfFuzzTest {
    /** Corpus modules among the seeds, and their size limit. */
    private static final int MODULES = 4;
    private static final long MODULE_MAX_BYTES = 40 << 10;
    /** Seeds up to this size also start the arbitrary-bytes mode. */
    private static final int RAW_SEED_MAX_BYTES = 16 << 10;

    @TempDir
    static Path dir;

    private static List<Seeds.Seed> compiled, seeds;
    private static Mutator[] mutators;
    private static FuzzOracle oracle;
    private static final long[][] counts = new long[2][FuzzOracle.Target.values().length];
    private static long started;

    /**
     * Only what needs no class of patchsites happens here: Jazzer's agent is installed when the
     * fuzz test starts, and a class loaded before then would run without coverage feedback. The
     * rest is {@link #init}, on the first input.
     */
    @BeforeAll
    static void setUp() throws IOException {
        compiled = Seeds.compiled(dir);
        writeRawSeeds();
        started = System.nanoTime();
    }

    private static void init() throws IOException {
        seeds = new java.util.ArrayList<>(compiled);
        seeds.addAll(Seeds.derived(dir, compiled, MODULES, MODULE_MAX_BYTES));
        mutators = new Mutator[seeds.size()];
        for (int i = 0; i < seeds.size(); i++) {
            mutators[i] = new Mutator(seeds.get(i).bytes());
        }
        oracle = new FuzzOracle();
    }

    /**
     * The small seeds as inputs of the arbitrary-bytes mode, one per target, into Jazzer's corpus
     * directory (under {@code jazzer.internal.basedir}), so that mode starts from real objects too.
     * The last three bytes are what {@link #fuzz} consumes first: raw flag, target, variant.
     */
    private static void writeRawSeeds() throws IOException {
        String base = System.getProperty("jazzer.internal.basedir");
        if (base == null) {
            return; // not fuzzing
        }
        Path corpus = Path.of(base, ".cifuzz-corpus", ElfFuzzTest.class.getName(), "fuzz");
        Files.createDirectories(corpus);
        for (Seeds.Seed seed : compiled) {
            if (seed.bytes().length > RAW_SEED_MAX_BYTES) {
                continue;
            }
            for (FuzzOracle.Target t : FuzzOracle.Target.values()) {
                byte[] in = java.util.Arrays.copyOf(seed.bytes(), seed.bytes().length + 3);
                in[in.length - 3] = (byte) t.ordinal(); // variant: table t, -o
                in[in.length - 2] = (byte) t.ordinal();
                in[in.length - 1] = 1; // raw
                String name = "seed-" + seed.name().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + t.name().toLowerCase();
                Files.write(corpus.resolve(name), in);
            }
        }
    }

    @AfterAll
    static void report() throws IOException {
        double s = (System.nanoTime() - started) / 1e9;
        long total = 0;
        StringBuilder sb = new StringBuilder();
        for (int src = 0; src < 2; src++) {
            for (FuzzOracle.Target t : FuzzOracle.Target.values()) {
                total += counts[src][t.ordinal()];
                sb.append(String.format(" %s %s %d;", src == 0 ? "raw" : "mutated", t.name().toLowerCase(),
                        counts[src][t.ordinal()]));
            }
        }
        System.out.printf("fuzz: %d inputs in %.1f s (%.0f/s), %d seeds:%s%n", total, s, total / s,
                seeds == null ? 0 : seeds.size(), sb);
        if (oracle != null) {
            oracle.close();
        }
    }

    @FuzzTest(maxDuration = "30s")
    void fuzz(FuzzedDataProvider data) throws IOException {
        if (oracle == null) {
            init();
        }
        boolean raw = data.consumeBoolean();
        FuzzOracle.Target target = FuzzOracle.Target.values()[data.consumeInt(0, FuzzOracle.Target.values().length - 1)];
        int variant = data.consumeInt(0, 15);
        byte[] input;
        if (raw) {
            input = data.consumeRemainingAsBytes();
        } else {
            Mutator m = mutators[data.consumeInt(0, mutators.length - 1)];
            input = m.mutate(new Mutator.Choices() {
                @Override
                public int below(int n) {
                    return n <= 1 ? 0 : data.consumeInt(0, n - 1);
                }

                @Override
                public long anyLong() {
                    return data.consumeLong();
                }

                @Override
                public byte[] bytes(int max) {
                    return data.consumeBytes(max);
                }
            });
        }
        counts[raw ? 0 : 1][target.ordinal()]++;
        try {
            oracle.check(target, input, variant);
        } catch (FuzzOracle.Finding f) {
            throw new AssertionError(f.getMessage() + "\ninput saved as " + save(target, f.input), f);
        }
    }

    /** Keeps a failing input (the object bytes) where it can be added to the regression corpus. */
    static Path save(FuzzOracle.Target target, byte[] input) {
        try {
            Path out = Path.of(System.getProperty("patchsites.fuzz.findings", "target/fuzz-findings"));
            Files.createDirectories(out);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(input)).substring(0, 12);
            return Files.write(out.resolve(target.name().toLowerCase() + "-" + sha + ".bin"), input).toAbsolutePath();
        } catch (IOException | NoSuchAlgorithmException e) {
            return Path.of("(not saved: " + e + ")");
        }
    }
}
