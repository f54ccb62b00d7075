package patchsites.collector.emit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Writes a file so that readers only ever see the old or the complete new contents: the bytes
 * go to a temporary file in the same directory, are forced to disk, and the temporary file is
 * renamed over the target (then the directory is forced, so the rename survives a power cut too).
 * On any failure the target is untouched and the temporary removed; a process killed half-way
 * leaves only its temporary, {@code .NAME.RANDOM.patchsites-tmp}, which a later write of the
 * same target removes once it is older than {@link #STALE_AFTER_MILLIS} and no process holds its
 * lock (every writer locks its temporary while it writes it).
 *
 * <p>Read-modify-write of one file ({@code emit --in-place}) is serialised by {@link #lock}: an
 * exclusive lock on the target's inode, re-checked after it is granted, because a rename over the
 * target replaces the inode that the waiting process locked.
 */
public final class AtomicFile {
    public interface Writer {
        void write(FileChannel out) throws IOException;
    }

    /** Temporary files are named {@code .TARGET.RANDOM} plus this. */
    public static final String TEMP_SUFFIX = ".patchsites-tmp";
    /** A temporary file this old whose lock is free is left from a killed run and is removed. */
    public static final long STALE_AFTER_MILLIS = 60_000;

    private AtomicFile() {}

    /** The exclusive lock on a target file, held from before it is read until after it is replaced. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        /** Whether a lock is held: false when the target does not exist yet or cannot be opened for writing. */
        public boolean held() {
            return lock != null;
        }

        /**
         * The locked file, open for reading. Read a locked file through this channel only: closing
         * any other channel of the same file would release the lock (POSIX record locks are per
         * process and file, not per descriptor).
         */
        public FileChannel channel() {
            return channel;
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                channel.close(); // releases the lock
            }
        }
    }

    /**
     * Waits until no other patchsites process (or thread) is rewriting {@code target}, then returns
     * the lock. Locking the target itself needs no extra file next to it; since a finished writer
     * renames a new inode over the path, a waiter that is granted the lock on the old inode sees
     * that the path now names another file and locks that one instead. A target that does not
     * exist, or that this process may not open for writing, is not locked (the rename-over still
     * makes every single write atomic).
     */
    public static Lock lock(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        while (true) {
            // Which inode the channel opens: the path's before and after the open agree (else retry).
            Object before = fileKey(abs);
            FileChannel ch;
            try {
                ch = FileChannel.open(abs, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                // Missing, not writable, a directory...: no lock; reading or writing it says what is wrong.
                return new Lock(null, null);
            }
            boolean keep = false;
            try {
                if (before == null || !before.equals(fileKey(abs))) {
                    continue; // created or replaced while we opened it: try again
                }
                FileLock lock = acquire(ch);
                // Granted: is the locked inode still the one the path names?
                if (before.equals(fileKey(abs))) {
                    keep = true;
                    return new Lock(ch, lock);
                }
            } finally {
                if (!keep) {
                    ch.close();
                }
            }
        }
    }

    /** The (device, inode) of the file {@code p} names now, or null when it does not exist. */
    public static Object fileKey(Path p) throws IOException {
        try {
            Object key = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
            return key != null ? key : p; // no file keys on this platform: trust the path
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** An exclusive lock; waits for other processes, and polls while another thread of this JVM holds it. */
    private static FileLock acquire(FileChannel ch) throws IOException {
        while (true) {
            try {
                return ch.lock();
            } catch (OverlappingFileLockException e) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for the lock on a file");
                }
            }
        }
    }

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
        String prefix = "." + abs.getFileName() + ".";
        removeStale(dir, prefix);
        Path tmp = Files.createTempFile(dir, prefix, TEMP_SUFFIX);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                FileLock mine = tryLock(ch); // marks the temporary as in use for removeStale
                writer.write(ch);
                ch.force(true);
                copyPermissions(Files.exists(abs) ? abs : permissionsFrom.toAbsolutePath(), tmp);
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
                done = true;
                if (mine != null) {
                    mine.release();
                }
            }
            forceDirectory(dir);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Removes temporaries of this target left by killed runs: older than {@link #STALE_AFTER_MILLIS}
     * and not locked by a writer. Best effort: a temporary that cannot be checked is left alone.
     */
    static void removeStale(Path dir, String prefix) {
        long cutoff = System.currentTimeMillis() - STALE_AFTER_MILLIS;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob(prefix) + "*" + TEMP_SUFFIX)) {
            for (Path p : s) {
                try {
                    FileTime t = Files.getLastModifiedTime(p);
                    if (t.toMillis() > cutoff) {
                        continue;
                    }
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        FileLock l = tryLock(ch);
                        if (l != null) {
                            Files.deleteIfExists(p);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // in use, gone already, or not ours to remove
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable directory: the write itself will say what is wrong
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this JVM
        }
    }

    private static String glob(String literal) {
        StringBuilder sb = new StringBuilder();
        for (char c : literal.toCharArray()) {
            if ("*?[]{}\\".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** Makes the rename durable; not every file system lets a directory be opened, so best effort. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // durability of the rename is then up to the file system
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
