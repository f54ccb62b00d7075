package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/cli.md is what {@link CliDocs} generates from the picocli model: a changed option, help text
 * or example fails this test until the page is regenerated with
 * {@code mvn -q -B test -pl collector -Dtest=CliDocsTest -Dpatchsites.updateDocs=true}.
 */
class CliDocsTest {
    @Test
    void cliMdIsGeneratedFromTheCommandLineModel() throws IOException {
        Path page = repositoryRoot().resolve("docs/cli.md");
        String generated = CliDocs.markdown();
        if (Boolean.getBoolean("patchsites.updateDocs")) {
            Files.writeString(page, generated, StandardCharsets.UTF_8);
        }
        String current = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : "";
        assertEquals(generated, current, "docs/cli.md differs from the CLI; regenerate it with:"
                + " mvn -q -B test -pl collector -Dtest=CliDocsTest -Dpatchsites.updateDocs=true");
    }

    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("docs")) && Files.isRegularFile(p.resolve("patchsites"))) {
                return p;
            }
        }
        throw new AssertionError("the checkout (docs/ and ./patchsites) is not above " + Path.of("").toAbsolutePath());
    }
}
