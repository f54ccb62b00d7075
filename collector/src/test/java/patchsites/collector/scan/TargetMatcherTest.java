package patchsites.collector.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Target matching against the JDK's own glob matcher, and exact names whose hashes collide. */
class TargetMatcherTest {
    @Test
    void globsMatchAsTheJdkGlobMatcherDoes() {
        Random r = new Random(11);
        String[] atoms = {"a", "b", "_", "S", "*", "?", "[ab]", "[!a]", "[a-c]", "__SCT__"};
        for (int round = 0; round < 2000; round++) {
            StringBuilder p = new StringBuilder();
            for (int k = 1 + r.nextInt(5); k > 0; k--) {
                p.append(atoms[r.nextInt(atoms.length)]);
            }
            String pattern = p.toString();
            TargetMatcher ours = TargetMatcher.of(List.of(pattern));
            PathMatcher jdk = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            for (int n = 0; n < 20; n++) {
                StringBuilder name = new StringBuilder();
                for (int k = r.nextInt(9); k > 0; k--) {
                    name.append("ab_Sc".charAt(r.nextInt(5)));
                }
                if (name.length() == 0) {
                    continue; // a path cannot be empty; neither is a symbol name that reaches the matcher
                }
                String s = name.toString();
                assertEquals(jdk.matches(Path.of(s)), matches(ours, s), () -> pattern + " on " + s);
            }
        }
    }

    @Test
    void exactNamesWithTheSameHashAreToldApart() {
        // "Aa" and "BB" (and their concatenations) share a 31-polynomial hash and a length.
        List<String> names = new ArrayList<>(List.of("AaAa", "BBBB", "AaBB"));
        TargetMatcher m = TargetMatcher.exact(names);
        for (String n : names) {
            assertTrue(matches(m, n), n);
        }
        assertEquals("AaAa".hashCode(), "BBAa".hashCode());
        assertFalse(matches(m, "BBAa"), "same hash and length, another name");
        assertFalse(matches(m, "AaA"));
        assertFalse(matches(m, "AaAaa"));
        // Glob characters in an exact name are literal.
        TargetMatcher star = TargetMatcher.exact(List.of("__SCT__*"));
        assertTrue(matches(star, "__SCT__*"));
        assertFalse(matches(star, "__SCT__foo"));
    }

    /** The scan matches names in place in the string table; a test has them as strings. */
    private static boolean matches(TargetMatcher m, String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        return m.matches(ByteBuffer.wrap(b), 0, b.length);
    }
}
