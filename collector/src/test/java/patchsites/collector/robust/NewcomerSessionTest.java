package patchsites.collector.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import patchsites.collector.corpus.Corpus;
import patchsites.fixtures.Tools;

/**
 * Runs {@code scripts/newcomer-session.sh} (issue 13's "scripted newcomer session") on the corpus
 * with the CLI as compiled now, so that it is part of {@code mvn verify} and CI: every command on
 * real modules with each kind of bad input and bad output path, one error line naming the right
 * file each time, and no input changed. The script judges each check itself (exit status 1 if
 * any failed); this test also makes sure it ran them all.
 */
class NewcomerSessionTest {
    @Test
    void everyCommandOnEveryKindOfBadPathGivesOneLineAndDamagesNothing() {
        Path script = repositoryRoot().resolve("scripts/newcomer-session.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), Corpus.root().toString());
        pb.environment().put("PATCHSITES_CLASSPATH", Cli.readableClassPath());
        pb.environment().put("PATCHSITES_JAVA", Cli.java());
        Tools.Result r = Tools.exec(pb, 900);
        System.out.println(r.out());
        assertEquals(0, r.rc(), r::describe);
        assertFalse(r.out().contains("\nFAIL"), r::describe);
        Matcher m = Pattern.compile("== (\\d+) checks, 0 failed").matcher(r.out());
        assertTrue(m.find(), r::describe);
        assertTrue(Integer.parseInt(m.group(1)) >= 60, () -> "too few checks ran: " + r.describe());
        assertTrue(r.out().contains("inputs unchanged"), r::describe);
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/newcomer-session.sh"))) {
                return p;
            }
        }
        throw new AssertionError("scripts/newcomer-session.sh not found above " + Path.of("").toAbsolutePath());
    }
}
