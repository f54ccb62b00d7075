package patchsites.collector.elf;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where an object's bytes come from. Files up to 2 GiB are mapped once and sliced; larger ones
 * (an allyesconfig {@code vmlinux.o} with debug info) are mapped section by section, because one
 * {@link ByteBuffer} cannot address more than 2 GiB.
 */
public abstract class Source implements Closeable {
    /** Total size in bytes. */
    public abstract long size();

    /** A big-endian view of {@code [offset, offset+length)}, independent of other views. */
    public abstract ByteBuffer slice(long offset, long length);

    @Override
    public void close() throws IOException {}

    /**
     * Writes bytes {@code [offset, offset+length)} to {@code out} at position {@code at}. File
     * sources hand the copy to the kernel (transferTo), so a rewrite of a large object does not
     * pull every page of it into this process.
     */
    public void copyTo(long offset, long length, FileChannel out, long at) throws IOException {
        writeFully(out, slice(offset, length), at);
    }

    /** Writes the remaining bytes of {@code b} to {@code out} at position {@code at}. */
    public static void writeFully(FileChannel out, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            p += out.write(b, p);
        }
    }

    public static Source of(ByteBuffer bytes) {
        return new Buffered(bytes);
    }

    /**
     * Maps a file read-only. The mapping stays valid after the file is closed. Only a regular file
     * is opened: opening a FIFO would wait for a writer (readelf: "is not an ordinary file").
     */
    public static Source map(Path path) throws IOException {
        checkOrdinary(path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            MappedByteBuffer whole = size <= Integer.MAX_VALUE ? ch.map(FileChannel.MapMode.READ_ONLY, 0, size) : null;
            return new Mapped(ch, size, whole);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Refuses what is not a regular file (after symbolic links) before anything opens it. */
    public static void checkOrdinary(Path path) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a =
                java.nio.file.Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
        if (a.isRegularFile()) {
            return;
        }
        if (a.isDirectory()) {
            throw new ElfFormatException("is a directory");
        }
        String kind;
        try {
            int type = (Integer) java.nio.file.Files.getAttribute(path, "unix:mode") & 0170000;
            kind = switch (type) {
                case 0010000 -> "a FIFO";
                case 0140000 -> "a socket";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                default -> null;
            };
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            kind = null;
        }
        throw new ElfFormatException(kind == null ? "is not an ordinary file" : "is " + kind + ", not an ordinary file");
    }

    static void checkRange(long offset, long length, long size) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new ElfFormatException("range [" + hex(offset) + ", +" + hex(length) + ") lies outside the file ("
                    + hex(size) + " bytes)");
        }
    }

    public static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static final class Buffered extends Source {
        private final ByteBuffer bytes;

        Buffered(ByteBuffer bytes) {
            this.bytes = bytes;
        }

        @Override
        public long size() {
            return bytes.capacity();
        }

        @Override
        public ByteBuffer slice(long offset, long length) {
            checkRange(offset, length, bytes.capacity());
            return bytes.slice((int) offset, (int) length);
        }
    }

    /**
     * A mapped file. Up to 2 GiB one whole-file mapping, which is unmapped on close instead of
     * whenever the collector gets to it: a run over thousands of modules would otherwise keep every
     * touched page resident. Callers must not keep views past close (sites hold only strings and
     * numbers). A larger file is mapped slice by slice.
     */
    private static final class Mapped extends Source {
        private final FileChannel channel;
        private final long size;
        /** The whole file; null when it is larger than 2 GiB, or closed. */
        private MappedByteBuffer whole;

        Mapped(FileChannel channel, long size, MappedByteBuffer whole) {
            this.channel = channel;
            this.size = size;
            this.whole = whole;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public ByteBuffer slice(long offset, long length) {
            checkRange(offset, length, size);
            if (whole != null) {
                return whole.slice((int) offset, (int) length);
            }
            if (length > Integer.MAX_VALUE) {
                throw new ElfFormatException("a single section of " + hex(length) + " bytes is larger than 2 GiB");
            }
            try {
                return channel.map(FileChannel.MapMode.READ_ONLY, offset, length);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void copyTo(long offset, long length, FileChannel out, long at) throws IOException {
            checkRange(offset, length, size);
            out.position(at);
            long done = 0;
            while (done < length) {
                long n = channel.transferTo(offset + done, length - done, out);
                if (n <= 0) {
                    // The input ended early: it was truncated while being read.
                    throw new ElfFormatException("the file shrank while it was being read (it ends before "
                            + hex(offset + done) + ")");
                }
                done += n;
            }
        }

        @Override
        public void close() throws IOException {
            if (whole != null) {
                Unmapper.unmap(whole);
                whole = null;
            }
            channel.close();
        }
    }
}
