package patchsites.collector.emit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Writes a file so that readers only ever see the old or the complete new contents: the bytes
 * go to a temporary file in the same directory, are forced to disk, and the temporary file is
 * renamed over the target. On any failure the target is untouched and the temporary removed.
 */
public final class AtomicFile {
    public interface Writer {
        void write(FileChannel out) throws IOException;
    }

    private AtomicFile() {}

    public static void write(Path target, Writer writer) throws IOException {
        write(target, target, writer);
    }

    /**
     * As {@link #write(Path, Writer)}; the new file gets the permissions of {@code permissionsFrom}
     * (the input, for a patched copy of a program), or rw-r--r-- when that does not exist.
     */
    public static void write(Path target, Path permissionsFrom, Writer writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".patchsites-tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            copyPermissions(Files.exists(abs) ? abs : permissionsFrom.toAbsolutePath(), tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void copyPermissions(Path from, Path to) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.exists(from) ? Files.getPosixFilePermissions(from)
                    : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(to, perms);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: keep the default.
        }
    }
}
