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
import patchsites.collector.elf.StringTable;

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

    @Test
    void severalPatternsMatchAsAnyOfTheJdkGlobMatchers() {
        // Up to 12 patterns: past 8 distinct prefixes the string table path stops pre-checking them.
        Random r = new Random(12);
        String[] atoms = {"a", "b", "_", "S", "*", "?", "[ab]", "__SCT__", "abcdefgh"};
        for (int round = 0; round < 500; round++) {
            List<String> patterns = new ArrayList<>();
            List<PathMatcher> jdk = new ArrayList<>();
            for (int q = 1 + r.nextInt(12); q > 0; q--) {
                StringBuilder p = new StringBuilder();
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    p.append(atoms[r.nextInt(atoms.length)]);
                }
                patterns.add(p.toString());
                jdk.add(FileSystems.getDefault().getPathMatcher("glob:" + p));
            }
            TargetMatcher ours = TargetMatcher.of(patterns);
            for (int n = 0; n < 20; n++) {
                StringBuilder name = new StringBuilder(r.nextBoolean() ? "__SCT__" : "");
                for (int k = 1 + r.nextInt(12); k > 0; k--) {
                    name.append("ab_Scdefgh".charAt(r.nextInt(10)));
                }
                String s = name.toString();
                boolean want = jdk.stream().anyMatch(m -> m.matches(Path.of(s)));
                assertEquals(want, matches(ours, s), () -> patterns + " on " + s);
            }
        }
    }

    /**
     * The scan matches names in place in the string table; a test has them as strings. Both ways
     * of asking must agree: by bytes and length, and by string table offset, where the first
     * eight bytes are read at once (a name in the middle of the table, and one at its very end).
     */
    private static boolean matches(TargetMatcher m, String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        boolean byBytes = m.matches(ByteBuffer.wrap(b), 0, b.length);
        ByteBuffer middle = ByteBuffer.allocate(b.length + 20);
        middle.put(1, b).put(b.length + 2, "__SCT__xyzw".getBytes(StandardCharsets.UTF_8));
        assertEquals(byBytes, m.matches(new StringTable(middle, "middle"), 1), () -> name + " amid other names");
        ByteBuffer end = ByteBuffer.allocate(b.length + 2);
        end.put(1, b);
        assertEquals(byBytes, m.matches(new StringTable(end, "end"), 1), () -> name + " at the table's end");
        return byBytes;
    }
}
