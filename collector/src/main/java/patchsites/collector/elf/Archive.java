package patchsites.collector.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads {@code ar} archives member by member: GNU/SysV (with the {@code //} long-name table),
 * BSD ({@code #1/len}), and GNU thin archives, whose members are files named relative to the
 * archive (kbuild's {@code built-in.a} and {@code vmlinux.a}). Nested archives are walked too.
 */
public final class Archive {
    private static final int HEADER = 60;

    public interface MemberVisitor {
        /**
         * {@code data} is the member's bytes; {@code name} its path as the archive records it;
         * {@code headerOffset} where its header is in its archive.
         */
        void member(String name, Source data, long headerOffset) throws IOException;
    }

    private Archive() {}

    public static boolean isArchive(ByteBuffer start) {
        return magic(start) != null;
    }

    private static String magic(ByteBuffer b) {
        if (b.limit() < 8) {
            return null;
        }
        String s = string(b, 0, 8, StandardCharsets.ISO_8859_1);
        return s.equals("!<arch>\n") || s.equals("!<thin>\n") ? s : null;
    }

    /**
     * Visits every member. {@code archive} is the archive's own bytes; {@code path} locates the
     * files of a thin archive.
     */
    public static void forEachMember(Path path, ByteBuffer archive, MemberVisitor visitor) throws IOException {
        forEachMember(path, archive, visitor, 0);
    }

    private static void forEachMember(Path path, ByteBuffer archive, MemberVisitor visitor, int depth)
            throws IOException {
        boolean thin = "!<thin>\n".equals(magic(archive));
        long size = archive.limit();
        ByteBuffer longNames = null;
        long pos = 8;
        while (pos < size) {
            if (size - pos < HEADER) {
                // A trailing newline pad is allowed; anything longer is a cut header.
                if (size - pos == 1 && archive.get((int) pos) == '\n') {
                    break;
                }
                throw new ElfFormatException("archive member header at " + Source.hex(pos) + " is truncated");
            }
            int h = (int) pos;
            if (archive.get(h + 58) != '`' || archive.get(h + 59) != '\n') {
                throw new ElfFormatException("archive member header at " + Source.hex(pos) + " is corrupt (bad magic)");
            }
            String rawName = field(archive, h, 16);
            long memberSize = decimal(archive, h + 48, 10, pos);
            long dataPos = pos + HEADER;
            boolean special = rawName.equals("/") || rawName.equals("/SYM64/") || rawName.equals("//");
            // In a thin archive only the symbol and name tables are stored inline.
            boolean inline = !thin || special;
            if (inline && memberSize > size - dataPos) {
                throw new ElfFormatException("archive member " + (rawName.isEmpty() ? "(unnamed)" : rawName) + " at "
                        + Source.hex(pos) + ": size " + memberSize + " runs past the end of the archive");
            }
            if (rawName.equals("//")) {
                longNames = archive.slice((int) dataPos, (int) memberSize);
            } else if (!special) {
                String name;
                long contentPos = dataPos, contentSize = memberSize;
                if (rawName.startsWith("#1/")) {
                    int len = (int) decimal(archive, h + 3, 13, pos);
                    if (len > memberSize) {
                        throw new ElfFormatException("archive member at " + Source.hex(pos) + ": BSD name longer than member");
                    }
                    name = string(archive, (int) dataPos, len, StandardCharsets.UTF_8).replaceAll("\0+$", "");
                    contentPos += len;
                    contentSize -= len;
                } else if (rawName.startsWith("/")) {
                    // "/123": offset in the name table, read like binutils' strtol (GNU ar -P may leave a
                    // '/' at the end of the field). "/123:456" in a thin archive: a member of the
                    // archive named at 123, whose header is at offset 456 in it.
                    int end = digitsEnd(rawName, 1);
                    name = longName(longNames, rawName.substring(0, end), pos);
                    if (thin && end < rawName.length() && rawName.charAt(end) == ':') {
                        long at = decimal(rawName.substring(end + 1, digitsEnd(rawName, end + 1)), pos);
                        visitNestedMember(path, name, at, visitor, depth);
                        pos = dataPos;
                        continue;
                    }
                } else {
                    name = rawName.endsWith("/") ? rawName.substring(0, rawName.length() - 1) : rawName;
                }
                if (thin) {
                    visitThinMember(path, name, memberSize, pos, visitor);
                } else {
                    visitor.member(name, Source.of(archive.slice((int) contentPos, (int) contentSize)), pos);
                }
            }
            if (inline) {
                pos = dataPos + memberSize;
                pos += pos & 1; // members are 2-byte aligned
            } else {
                pos = dataPos;
            }
        }
    }

    /**
     * Where a thin archive's member lives: its recorded name, relative to the archive's directory
     * unless absolute. The name comes from the archive, so it may be no path at all (a NUL in it).
     */
    private static Path memberPath(Path archivePath, String name) {
        Path p;
        try {
            p = Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ElfFormatException("thin archive member name '" + name + "' is not a valid path (" + e.getReason()
                    + ")");
        }
        if (!p.isAbsolute()) {
            Path dir = archivePath.toAbsolutePath().getParent();
            p = dir == null ? p : dir.resolve(p);
        }
        return p;
    }

    /** Maps {@code p}, the file a thin archive names {@code name}. */
    private static Source mapMember(Path p, String name) throws IOException {
        try {
            return Source.map(p);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ElfFormatException("thin archive member " + name + " is missing (" + p + ")");
        } catch (ElfFormatException e) { // a directory, a FIFO (never opened: it would wait for a writer)
            throw new ElfFormatException("thin archive member " + name + " " + e.getMessage() + " (" + p + ")");
        }
    }

    private static void visitThinMember(Path archivePath, String name, long recordedSize, long headerOffset,
            MemberVisitor visitor) throws IOException {
        Source s = mapMember(memberPath(archivePath, name), name);
        if (s.size() != recordedSize) {
            throw new ElfFormatException("thin archive member " + name + " is " + s.size()
                    + " bytes but the archive recorded " + recordedSize + " (stale archive?)");
        }
        try (s) {
            visitor.member(name, s, headerOffset);
        }
    }

    /**
     * A thin archive's reference into a regular archive: the member whose header is at
     * {@code headerOffset} of the archive file {@code archiveName}.
     */
    private static void visitNestedMember(Path thinPath, String archiveName, long headerOffset, MemberVisitor visitor,
            int depth) throws IOException {
        if (depth >= ObjectReader.MAX_NESTING) {
            throw new ElfFormatException("thin archive references nested more than " + ObjectReader.MAX_NESTING
                    + " deep (" + archiveName + ")");
        }
        Path p = memberPath(thinPath, archiveName);
        try (Source s = mapMember(p, archiveName)) {
            if (s.size() > Integer.MAX_VALUE) {
                throw new ElfFormatException(archiveName + ": archives larger than 2 GiB are not supported");
            }
            ByteBuffer inner = s.slice(0, s.size());
            boolean[] found = {false};
            forEachMember(p, inner, (name, data, header) -> {
                if (header == headerOffset) {
                    found[0] = true;
                    visitor.member(name, data, header); // as ar t and nm name it
                }
            }, depth + 1);
            if (!found[0]) {
                throw new ElfFormatException("thin archive refers to a member of " + archiveName + " at offset "
                        + headerOffset + ", where there is none");
            }
        }
    }

    /** Where the run of digits in {@code s} from {@code from} ends. */
    private static int digitsEnd(String s, int from) {
        int end = from;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        return end;
    }

    private static String longName(ByteBuffer table, String raw, long pos) {
        long off;
        try {
            off = Long.parseLong(raw.substring(1).trim());
        } catch (NumberFormatException e) {
            throw new ElfFormatException("archive member at " + Source.hex(pos) + ": bad name " + raw);
        }
        if (table == null || off < 0 || off >= table.limit()) {
            throw new ElfFormatException("archive member at " + Source.hex(pos) + ": long name offset " + off
                    + " outside the name table");
        }
        int end = (int) off;
        while (end < table.limit() && table.get(end) != '\n') {
            end++;
        }
        String s = string(table, (int) off, end - (int) off, StandardCharsets.UTF_8);
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String string(ByteBuffer b, int at, int len, java.nio.charset.Charset charset) {
        byte[] bytes = new byte[len];
        b.get(at, bytes);
        return new String(bytes, charset);
    }

    private static String field(ByteBuffer b, int at, int len) {
        return string(b, at, len, StandardCharsets.ISO_8859_1).stripTrailing();
    }

    private static long decimal(ByteBuffer b, int at, int len, long pos) {
        return decimal(field(b, at, len).trim(), pos);
    }

    private static long decimal(String s, long pos) {
        try {
            long v = Long.parseLong(s);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ElfFormatException("archive member header at " + Source.hex(pos) + ": bad number '" + s + "'");
    }
}
