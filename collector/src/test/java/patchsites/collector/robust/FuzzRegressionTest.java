package patchsites.collector.robust;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays every input that ever failed the fuzz oracle ({@code src/test/resources/fuzz-regressions/},
 * listed in docs/robustness.md): scan, emit and audit, each in all 16 variants (options, table, in
 * place or not), must behave on it as {@link FuzzOracle} demands. A new finding of
 * {@link ElfFuzzTest} is saved as its object bytes under {@code target/fuzz-findings/} and goes
 * here, named after what it broke, once it is fixed.
 */
class FuzzRegressionTest {
    private static FuzzOracle oracle;

    @BeforeAll
    static void setUp() throws IOException {
        oracle = new FuzzOracle();
    }

    @AfterAll
    static void tearDown() throws IOException {
        oracle.close();
    }

    static Stream<Path> inputs() throws IOException, URISyntaxException {
        Path dir = Path.of(FuzzRegressionTest.class.getResource("/fuzz-regressions").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(files.size() >= 9, "the regression corpus is missing: " + dir);
        return files.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void behavesOn(Path input) throws IOException {
        byte[] bytes = Files.readAllBytes(input);
        for (FuzzOracle.Target t : FuzzOracle.Target.values()) {
            for (int variant = 0; variant < 16; variant++) {
                oracle.check(t, bytes, variant);
            }
        }
    }
}
