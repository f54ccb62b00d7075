package patchsites.collector.elf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens what a user names on the command line: an ELF object or an archive of them.
 * Archive members are reported with their member name, as binutils prints {@code lib.a(member.o)}.
 */
public final class ObjectReader {
    public interface ObjectVisitor {
        /** {@code member} is null for a plain object file. */
        void object(String member, ElfFile elf) throws IOException;
    }

    /** Told of an archive member that is neither an ELF object nor an archive, and so skipped. */
    public interface SkipListener {
        void skipped(String member, String reason);
    }

    /** What a file holds, by its first bytes: one verdict (and one message) for every command. */
    public enum Kind { ELF, ARCHIVE }

    /** Thrown for a problem in one archive member; the message is already prefixed by the member. */
    public static final class MemberException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final String member;

        MemberException(String member, ElfFormatException cause) {
            super(cause.getMessage(), null, false, false);
            this.member = member;
        }
    }

    /**
     * Archives inside archives are walked this deep at most (kbuild nests one level). Without a
     * limit a file of nested archives, or a thin archive that names itself, recurses until the
     * stack overflows.
     */
    public static final int MAX_NESTING = 16;

    private ObjectReader() {}

    /** Reads every object of {@code path}; archive members that are no object are skipped silently. */
    public static void read(Path path, ObjectVisitor visitor) throws IOException {
        read(path, visitor, (member, reason) -> { });
    }

    /** Reads every object of {@code path}, telling {@code skips} of archive members that are no object. */
    public static void read(Path path, ObjectVisitor visitor, SkipListener skips) throws IOException {
        try (Source src = Source.map(path)) { // refuses a directory, as checkInput does
            read(path, src, null, visitor, skips, 0);
        }
    }

    /**
     * What every command checks of a path before opening it. A directory can be opened on Linux
     * but not mapped ("No such device"): say what it is instead.
     */
    public static void checkInput(Path path) {
        if (java.nio.file.Files.isDirectory(path)) {
            throw new ElfFormatException("is a directory");
        }
    }

    /**
     * ELF object or archive; anything else is reported with the message every command gives for
     * it: "empty file", "truncated ELF header (N bytes)" for the start of an ELF magic cut short,
     * and "file format not recognized" (as binutils says) for text and other files.
     */
    public static Kind classify(Source src) {
        long size = src.size();
        java.nio.ByteBuffer head = src.slice(0, Math.min(8, size));
        if (Archive.isArchive(head)) {
            return Kind.ARCHIVE;
        }
        boolean elfMagic = startsElfMagic(head);
        if (elfMagic && size >= 4) {
            return Kind.ELF;
        }
        if (size == 0) {
            throw new ElfFormatException("empty file");
        }
        if (elfMagic) {
            throw new ElfFormatException("truncated ELF header (" + size + " bytes)");
        }
        throw new ElfFormatException("file format not recognized (neither ELF nor ar archive" + notElf(src) + ")");
    }

    /** Whether {@code head} starts with the ELF magic, or with as much of it as it holds. */
    private static boolean startsElfMagic(java.nio.ByteBuffer head) {
        byte[] magic = {0x7f, 'E', 'L', 'F'};
        for (int i = 0; i < Math.min(head.limit(), magic.length); i++) {
            if (head.get(i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static void read(Path path, Source src, String member, ObjectVisitor visitor, SkipListener skips, int depth)
            throws IOException {
        Kind kind;
        try {
            kind = classify(src);
        } catch (ElfFormatException e) {
            if (member == null) {
                throw e;
            }
            // binutils' nm and objdump go on past a member that is no object (LLVM bitcode, a text
            // file): so does patchsites, but it says so.
            skips.skipped(member, (src.size() == 0 ? "empty member" : "not an ELF object") + "; skipped");
            return;
        }
        if (kind == Kind.ARCHIVE) {
            if (depth >= MAX_NESTING) {
                throw new ElfFormatException("archives nested more than " + MAX_NESTING + " deep");
            }
            if (src.size() > Integer.MAX_VALUE) {
                throw new ElfFormatException("archives larger than 2 GiB are not supported");
            }
            Archive.forEachMember(path, src.slice(0, src.size()), (name, data, header) -> {
                String full = member == null ? name : member + "/" + name;
                try {
                    read(path, data, full, visitor, skips, depth + 1);
                } catch (ElfFormatException e) {
                    throw new MemberException(full, e);
                }
            });
        } else {
            visitor.object(member, ElfFile.parse(src));
        }
    }

    /**
     * What a non-ELF file most likely is, from its magic: users hand over the compressed kernel
     * (bzImage) or a compressed vmlinux/module where the ELF file is needed. Empty when unknown.
     */
    private static String notElf(Source src) {
        java.nio.ByteBuffer b = src.slice(0, Math.min(0x210, src.size())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int n = b.limit();
        int b0 = n > 0 ? b.get(0) & 0xff : -1, b1 = n > 1 ? b.get(1) & 0xff : -1;
        if (n >= 0x206 && b.getInt(0x202) == 0x53726448) { // "HdrS": the x86 boot protocol header
            return "; it is a bzImage, the compressed boot image: the tables need the ELF vmlinux with its symbols,"
                    + " from the -dbg package";
        }
        if (b0 == 0x1f && b1 == 0x8b) {
            return "; it is gzip-compressed: decompress it first";
        }
        if (n >= 6 && b0 == 0xfd && b1 == '7' && b.get(2) == 'z' && b.get(3) == 'X' && b.get(4) == 'Z') {
            return "; it is xz-compressed: decompress it first (xz -d)";
        }
        if (n >= 4 && b.getInt(0) == 0xfd2fb528) {
            return "; it is zstd-compressed: decompress it first (zstd -d)";
        }
        if (n >= 3 && b0 == 'B' && b1 == 'Z' && b.get(2) == 'h') {
            return "; it is bzip2-compressed: decompress it first";
        }
        return "";
    }
}
