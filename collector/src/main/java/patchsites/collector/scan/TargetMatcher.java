package patchsites.collector.scan;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import patchsites.collector.elf.StringTable;

/**
 * Which symbols are targets: exact names or shell globs ({@code *}, {@code ?}, {@code [a-z]},
 * {@code [!x]}). Matching runs on the string table's bytes so that the hundreds of thousands of
 * symbols of a {@code vmlinux.o} are checked without decoding a single name.
 */
public final class TargetMatcher {
    /**
     * Patterns without glob characters, by a key of their length and hash (and a set of their
     * lengths, so most names are turned away before any hashing): one binary search of a
     * primitive array per name however many targets, nothing boxed.
     */
    private final long[] exactKeys;
    /** The patterns whose key is exactKeys[i], in the same order. */
    private final byte[][][] exactByKey;
    private final java.util.BitSet exactLengths = new java.util.BitSet();
    private final byte[][] patterns;
    /** Bytes every match starts with (the pattern's literal prefix), per glob pattern. */
    private final int[] literalPrefix;
    /** The exact names (patterns without glob characters), for messages about a named target. */
    private final java.util.Set<String> exactNames = new java.util.HashSet<>();
    /**
     * Every pattern as given, once, in order, with its bytes and whether it is taken literally:
     * to tell which patterns a name matches ({@link #addPatternsMatching}), a question asked only
     * until each pattern has matched once, never in the hot loop.
     */
    private final String[] given;
    private final byte[][] givenBytes;
    private final boolean[] givenLiteral;
    /**
     * The first (up to eight) literal bytes every match starts with, one (word, mask) per distinct
     * prefix, little-endian as {@link StringTable#firstBytes} reads them;
     * null when some pattern starts with a wildcard or there are too many to try per name.
     */
    private final long[] prefixWords, prefixMasks;
    private static final int MAX_PREFIXES = 8;

    private TargetMatcher(List<String> globs, List<String> exactNames) {
        List<byte[]> wild = new ArrayList<>();
        java.util.TreeMap<Long, List<byte[]>> exact = new java.util.TreeMap<>();
        java.util.Map<String, Boolean> distinct = new java.util.LinkedHashMap<>();
        for (String g : globs) {
            byte[] p = g.getBytes(StandardCharsets.UTF_8);
            if (isLiteral(p)) {
                addExact(exact, p);
            } else {
                wild.add(p);
            }
            distinct.putIfAbsent(g, isLiteral(p));
        }
        for (String n : exactNames) {
            addExact(exact, n.getBytes(StandardCharsets.UTF_8));
            distinct.putIfAbsent(n, true);
        }
        given = distinct.keySet().toArray(new String[0]);
        givenBytes = new byte[given.length][];
        givenLiteral = new boolean[given.length];
        for (int i = 0; i < given.length; i++) {
            givenBytes[i] = given[i].getBytes(StandardCharsets.UTF_8);
            givenLiteral[i] = distinct.get(given[i]);
        }
        exactKeys = new long[exact.size()];
        exactByKey = new byte[exact.size()][][];
        int row = 0;
        for (java.util.Map.Entry<Long, List<byte[]>> e : exact.entrySet()) {
            exactKeys[row] = e.getKey();
            exactByKey[row++] = e.getValue().toArray(new byte[0][]);
        }
        patterns = wild.toArray(new byte[0][]);
        literalPrefix = new int[patterns.length];
        for (int i = 0; i < patterns.length; i++) {
            literalPrefix[i] = literalLength(patterns[i]);
        }
        long[][] prefixes = literalPrefixes(givenBytes, givenLiteral);
        prefixWords = prefixes == null ? null : prefixes[0];
        prefixMasks = prefixes == null ? null : prefixes[1];
    }

    /**
     * {words, masks} of the patterns' distinct literal prefixes (see {@link #prefixWords}), or null
     * when a pattern has none or there are more than {@link #MAX_PREFIXES}.
     */
    private static long[][] literalPrefixes(byte[][] patterns, boolean[] literal) {
        java.util.Map<Long, Long> prefixes = new java.util.LinkedHashMap<>(); // word -> mask (its nonzero bytes)
        for (int i = 0; i < patterns.length; i++) {
            byte[] p = patterns[i];
            int n = Math.min(8, literal[i] ? p.length : literalLength(p));
            if (n == 0) {
                return null;
            }
            long word = 0;
            for (int k = 0; k < n; k++) {
                word |= (p[k] & 0xffL) << (8 * k);
            }
            prefixes.putIfAbsent(word, n == 8 ? -1L : (1L << (8 * n)) - 1);
        }
        if (prefixes.isEmpty() || prefixes.size() > MAX_PREFIXES) {
            return null;
        }
        return new long[][] {prefixes.keySet().stream().mapToLong(Long::longValue).toArray(),
                prefixes.values().stream().mapToLong(Long::longValue).toArray()};
    }

    /**
     * Does the name at {@code offset} of {@code names} match any pattern? Most of a vmlinux.o's
     * names are turned away by their first eight bytes, one comparison per pattern prefix,
     * before they are measured and matched byte by byte.
     */
    public boolean matches(StringTable names, int offset) {
        if (prefixWords != null) {
            long first = names.firstBytes(offset);
            boolean may = false;
            for (int i = 0; i < prefixWords.length && !may; i++) {
                may = (first & prefixMasks[i]) == prefixWords[i];
            }
            if (!may) {
                return false;
            }
        }
        return matches(names.bytes(), offset, names.length(offset));
    }

    private void addExact(java.util.Map<Long, List<byte[]>> exact, byte[] p) {
        exactNames.add(new String(p, StandardCharsets.UTF_8));
        exactLengths.set(p.length);
        exact.computeIfAbsent(key(ByteBuffer.wrap(p), 0, p.length), k -> new ArrayList<>()).add(p);
    }

    private static boolean isSpecial(byte c) {
        return c == '*' || c == '?' || c == '[' || c == '\\';
    }

    /** How many bytes of glob {@code p} come before its first special character: every match starts with them. */
    private static int literalLength(byte[] p) {
        int n = 0;
        while (n < p.length && !isSpecial(p[n])) {
            n++;
        }
        return n;
    }

    private static boolean isLiteral(byte[] p) {
        return literalLength(p) == p.length;
    }

    public static TargetMatcher of(List<String> globs) {
        for (String g : globs) {
            if (g.isEmpty()) {
                throw new IllegalArgumentException("empty target pattern");
            }
        }
        return new TargetMatcher(globs, List.of());
    }

    /** Matches exactly these names: glob characters in them are taken literally. */
    public static TargetMatcher exact(java.util.Collection<String> names) {
        return new TargetMatcher(List.of(), new ArrayList<>(names));
    }

    /** Reads one pattern per line; blank lines and {@code #} comments (also after a pattern) are ignored. */
    public static List<String> readFile(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int hash = line.indexOf('#');
            String s = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (!s.isEmpty() && !s.startsWith("#")) {
                out.add(s);
            }
        }
        return out;
    }

    /** Whether {@code name} was given as an exact name, not only matched by a glob. */
    public boolean isExactName(String name) {
        return exactNames.contains(name);
    }

    /** How many distinct patterns were given. */
    public int patternCount() {
        return given.length;
    }

    /**
     * Adds to {@code into} each pattern, as it was given, that the name at {@code [off, off+len)}
     * matches: which of the patterns found anything (a misspelled one found nothing).
     */
    public void addPatternsMatching(ByteBuffer bytes, int off, int len, java.util.Set<String> into) {
        for (int i = 0; i < given.length; i++) {
            byte[] p = givenBytes[i];
            boolean hit = givenLiteral[i] ? p.length == len && equalAt(bytes, off, p) : glob(p, 0, bytes, off, off + len);
            if (hit) {
                into.add(given[i]);
            }
        }
    }

    public boolean isEmpty() {
        return patterns.length == 0 && exactKeys.length == 0;
    }

    /** Does the name at {@code [off, off+len)} of {@code bytes} match any pattern? */
    public boolean matches(ByteBuffer bytes, int off, int len) {
        int at = exactLengths.get(len) ? java.util.Arrays.binarySearch(exactKeys, key(bytes, off, len)) : -1;
        if (at >= 0) {
            for (byte[] p : exactByKey[at]) {
                if (equalAt(bytes, off, p)) {
                    return true;
                }
            }
        }
        for (int i = 0; i < patterns.length; i++) {
            byte[] p = patterns[i];
            int lit = literalPrefix[i];
            if (lit > len) {
                continue;
            }
            boolean prefixOk = true;
            for (int k = 0; k < lit; k++) {
                if (bytes.get(off + k) != p[k]) {
                    prefixOk = false;
                    break;
                }
            }
            if (prefixOk && (lit == p.length ? len == lit : glob(p, lit, bytes, off + lit, off + len))) {
                return true;
            }
        }
        return false;
    }

    /** Length and a 32-bit hash of the name's bytes, as one key. */
    private static long key(ByteBuffer bytes, int off, int len) {
        int h = 1;
        for (int k = 0; k < len; k++) {
            h = 31 * h + bytes.get(off + k);
        }
        return ((long) len << 32) | (h & 0xffffffffL);
    }

    private static boolean equalAt(ByteBuffer bytes, int off, byte[] p) {
        for (int k = 0; k < p.length; k++) {
            if (bytes.get(off + k) != p[k]) {
                return false;
            }
        }
        return true;
    }

    /** Iterative glob match with single-star backtracking (linear for the patterns people write). */
    private static boolean glob(byte[] p, int pi, ByteBuffer s, int si, int end) {
        int starP = -1, starS = -1;
        while (si < end) {
            if (pi < p.length) {
                byte c = p[pi];
                if (c == '*') {
                    starP = ++pi;
                    starS = si;
                    continue;
                }
                int next = single(p, pi, s.get(si));
                if (next > 0) {
                    pi = next;
                    si++;
                    continue;
                }
            }
            if (starP < 0) {
                return false;
            }
            pi = starP;
            si = ++starS;
        }
        while (pi < p.length && p[pi] == '*') {
            pi++;
        }
        return pi == p.length;
    }

    /**
     * Matches one pattern element at {@code pi} against {@code ch}: returns the index after the
     * element, or -1 on mismatch.
     */
    private static int single(byte[] p, int pi, byte ch) {
        byte c = p[pi];
        if (c == '?') {
            return pi + 1;
        }
        if (c == '\\' && pi + 1 < p.length) {
            return p[pi + 1] == ch ? pi + 2 : -1;
        }
        if (c == '[') {
            int i = pi + 1;
            boolean negate = i < p.length && (p[i] == '!' || p[i] == '^');
            if (negate) {
                i++;
            }
            boolean hit = false;
            int first = i;
            while (i < p.length && (p[i] != ']' || i == first)) {
                int lo = p[i] & 0xff, hi = lo;
                if (i + 2 < p.length && p[i + 1] == '-' && p[i + 2] != ']') {
                    hi = p[i + 2] & 0xff;
                    i += 3;
                } else {
                    i++;
                }
                int v = ch & 0xff;
                if (v >= lo && v <= hi) {
                    hit = true;
                }
            }
            if (i >= p.length) {
                return c == ch ? pi + 1 : -1; // unterminated class: a literal '['
            }
            return hit != negate ? i + 1 : -1;
        }
        return c == ch ? pi + 1 : -1;
    }
}
