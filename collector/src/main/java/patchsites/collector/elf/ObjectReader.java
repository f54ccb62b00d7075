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

    public static void read(Path path, ObjectVisitor visitor) throws IOException {
        if (java.nio.file.Files.isDirectory(path)) {
            throw new ElfFormatException("is a directory");
        }
        try (Source src = Source.map(path)) {
            read(path, src, null, visitor, 0);
        }
    }

    private static void read(Path path, Source src, String member, ObjectVisitor visitor, int depth) throws IOException {
        java.nio.ByteBuffer head = src.slice(0, Math.min(8, src.size()));
        if (Archive.isArchive(head)) {
            if (depth >= MAX_NESTING) {
                throw new ElfFormatException("archives nested more than " + MAX_NESTING + " deep");
            }
            if (src.size() > Integer.MAX_VALUE) {
                throw new ElfFormatException("archives larger than 2 GiB are not supported");
            }
            Archive.forEachMember(path, src.slice(0, src.size()), (name, data) -> {
                String full = member == null ? name : member + "/" + name;
                try {
                    read(path, data, full, visitor, depth + 1);
                } catch (ElfFormatException e) {
                    throw new MemberException(full, e);
                }
            });
        } else if (ElfFile.looksLikeElf(head)) {
            visitor.object(member, ElfFile.parse(src));
        } else {
            throw new ElfFormatException(src.size() == 0 ? "empty file" : "file format not recognized (neither ELF nor ar archive"
                    + notElf(src) + ")");
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
