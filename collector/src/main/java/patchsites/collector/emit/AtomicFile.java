package patchsites.collector.emit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one way patchsites writes a file the user named (emit {@code -o}/{@code --in-place}, plan
 * {@code --apply}, stubs {@code --lds}/{@code --asm}). What happens depends on what the path
 * names (docs/robustness.md, "Output rules"):
 *
 * <ul>
 * <li>a symbolic link is followed to its final target, and that file is written by these rules;
 * the link stays a link;
 * <li>a regular file with one link, or no file: the bytes go to a temporary file in the same
 * directory, are forced to disk, and the temporary file is renamed over the target (then the
 * directory is forced). Readers, and a process killed at any moment, see the old or the complete
 * new contents. The new file keeps the mode, owner and group of the file it replaces (set-user-
 * and set-group-ID bits only when the owner could be kept, as objcopy does); a new file gets the
 * permission bits of {@code permissionsFrom} without those two;
 * <li>a regular file with more than one hard link: the complete new contents are first written to
 * the temporary file and forced, then copied into the existing file (as objcopy does), so every
 * name of it sees the new contents. This one case is not atomic for readers;
 * <li>a character or block device, FIFO or socket: written with ordinary writes, never renamed
 * over or truncated;
 * <li>a directory: refused.
 * </ul>
 *
 * <p>Every failure is a {@link WriteFailure} that names the path the user gave. Writes of one
 * target are serialised by {@link #lock} (a lock file next to it, which any process that may
 * write the directory can lock). Temporary files are removed on failure, on SIGTERM/SIGINT (a
 * shutdown hook), and, when a process was killed outright, by a later write of the same target
 * once they are older than {@link #STALE_AFTER_MILLIS} and no process holds their lock.
 */
public final class AtomicFile {
    public interface Writer {
        /** Writes the whole new contents to {@code out}, an empty regular file positioned at 0. */
        void write(FileChannel out) throws IOException;
    }

    /** Temporary files are named {@code .TARGET.RANDOM} plus this. */
    public static final String TEMP_SUFFIX = ".patchsites-tmp";
    /** The lock file of a target is {@code .TARGET} plus this; it exists only while a write holds it. */
    public static final String LOCK_SUFFIX = ".patchsites-lock";
    /** A temporary file this old whose lock is free is left from a killed run and is removed. */
    public static final long STALE_AFTER_MILLIS = 60_000;
    /** Symbolic links followed at most (the kernel's own limit for a path). */
    private static final int MAX_LINKS = 40;

    private AtomicFile() {}

    /** Writing a file failed; the message says why, {@link #path} is the path the user named. */
    public static final class WriteFailure extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient Path path;

        WriteFailure(Path path, String message, Throwable cause) {
            super(message, cause);
            this.path = path;
        }

        /** The output path as the user gave it. */
        public Path path() {
            return path;
        }
    }

    /** The lock on a target, held from before its input is read until after it is replaced. */
    public static final class Lock implements AutoCloseable {
        private final Path lockFile;
        private final FileChannel channel;

        private Lock(Path lockFile, FileChannel channel) {
            this.lockFile = lockFile;
            this.channel = channel;
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                // Removed while still locked: a waiter that then gets the lock sees the path no
                // longer names what it locked, and starts over (see lock()).
                HELD.remove(lockFile);
                try {
                    Files.deleteIfExists(lockFile);
                } catch (IOException e) {
                    // Another user's in a sticky directory: left for the next writer, which reuses it.
                }
                channel.close(); // releases the lock
            }
        }
    }

    /** Lock files this JVM holds, and the thread holding each: write() inside lock() locks nothing again. */
    private static final Map<Path, Thread> HELD = new ConcurrentHashMap<>();

    /**
     * Waits until no other patchsites process or thread is writing {@code target}, then returns
     * the lock. The lock is an exclusive POSIX lock on {@code .NAME.patchsites-lock} in the
     * directory of the (link-resolved) target, created readable and writable by all, so a process
     * that cannot open the target itself for writing (a 0444 file) still locks it, and a root and
     * a user process exclude each other. The holder removes the file before releasing it; a waiter
     * then granted the lock on the removed file sees that the path names another file (or none)
     * and starts over. Devices, FIFOs and sockets are not locked.
     */
    public static Lock lock(Path target) throws WriteFailure {
        Resolved r = resolve(target);
        if (r.kind != Kind.REGULAR && r.kind != Kind.MISSING) {
            return new Lock(null, null);
        }
        Path lockFile = lockFileOf(r.path);
        installHook();
        if (HELD.get(lockFile) == Thread.currentThread()) {
            throw new IllegalStateException("lock of " + target + " taken twice by one thread");
        }
        try {
            while (true) {
                // Which file the channel opens: the path names the same one before and after the open.
                Object before = fileKey(lockFile, LinkOption.NOFOLLOW_LINKS);
                if (before == null) {
                    createLockFile(lockFile);
                    continue; // opened, like any other, on the next round
                }
                FileChannel ch;
                try {
                    ch = openLockFile(lockFile);
                } catch (NoSuchFileException gone) {
                    continue; // its holder just removed it
                }
                boolean keep = false;
                try {
                    if (!before.equals(fileKey(lockFile, LinkOption.NOFOLLOW_LINKS))) {
                        continue;
                    }
                    acquire(ch);
                    // Granted: is the locked file still the one the path names (not removed by its last holder)?
                    if (before.equals(fileKey(lockFile, LinkOption.NOFOLLOW_LINKS))) {
                        keep = true;
                        HELD.put(lockFile, Thread.currentThread());
                        return new Lock(lockFile, ch);
                    }
                } finally {
                    if (!keep) {
                        ch.close();
                    }
                }
            }
        } catch (IOException e) {
            throw failure(target, r.path.getParent(), e);
        }
    }

    /** Creates the lock file, readable and writable by all: any user who may write here must be able to wait for it. */
    private static void createLockFile(Path lockFile) throws IOException {
        try {
            Files.createFile(lockFile);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return; // another writer's
        }
        try {
            Files.setPosixFilePermissions(lockFile, PosixFilePermissions.fromString("rw-rw-rw-"));
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            // removed by a holder already, or not POSIX
        }
    }

    /** Opens an existing lock file; one just created by another user may be unwritable for an instant (its umask). */
    private static FileChannel openLockFile(Path lockFile) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return FileChannel.open(lockFile, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (AccessDeniedException denied) {
                if (attempt >= 100) {
                    throw new AccessDeniedException(lockFile.toString(), null,
                            "cannot open the lock file " + lockFile.getFileName() + " (another user's?)");
                }
                sleep(10);
            }
        }
    }

    /** The (device, inode) of the file {@code p} names now, or null when it does not exist. */
    public static Object fileKey(Path p, LinkOption... options) throws IOException {
        try {
            Object key = Files.readAttributes(p, BasicFileAttributes.class, options).fileKey();
            return key != null ? key : p; // no file keys on this platform: trust the path
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** An exclusive lock; waits for other processes, and polls while another thread of this JVM holds it. */
    private static void acquire(FileChannel ch) throws IOException {
        while (true) {
            try {
                ch.lock();
                return;
            } catch (OverlappingFileLockException e) {
                sleep(10);
            }
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the lock on a file");
        }
    }

    public static void write(Path target, Writer writer) throws IOException {
        write(target, target, writer);
    }

    /**
     * Writes {@code target} by the rules of this class. {@code permissionsFrom} gives the
     * permission bits of a file that does not exist yet (the input, for a patched copy of a
     * program). Takes the target's {@link #lock} unless this thread holds it already. Every
     * failure is a {@link WriteFailure} naming {@code target}; an {@code IOException} the writer
     * throws about its input passes through unchanged.
     */
    public static void write(Path target, Path permissionsFrom, Writer writer) throws IOException {
        Resolved r = resolve(target);
        switch (r.kind) {
            case DIRECTORY -> throw new WriteFailure(target, "cannot write: is a directory", null);
            case SOCKET -> throw new WriteFailure(target, "cannot write: is a socket", null);
            case SPECIAL -> writeThrough(target, r.path, writer);
            default -> {
                try (Lock own = HELD.get(lockFileOf(r.path)) == Thread.currentThread() ? null : lock(target)) {
                    replace(target, r, permissionsFrom, writer);
                }
            }
        }
    }

    private enum Kind { MISSING, REGULAR, DIRECTORY, SOCKET, SPECIAL }

    /** What a path names after its symbolic links are followed: the final path, and its kind. */
    private record Resolved(Path path, Kind kind, BasicFileAttributes attrs) {}

    /**
     * Follows symbolic links one at a time (a dangling link resolves to the path it names, which
     * the write then creates, as {@code cp} and objcopy do).
     */
    private static Resolved resolve(Path target) throws WriteFailure {
        Path p = target.toAbsolutePath();
        try {
            for (int i = 0; i <= MAX_LINKS; i++) {
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    Path dir = p.getParent();
                    if (dir == null || !Files.isDirectory(dir)) {
                        throw new WriteFailure(target, "cannot write: no directory " + dir, e);
                    }
                    return new Resolved(p, Kind.MISSING, null);
                }
                if (a.isSymbolicLink()) {
                    p = p.resolveSibling(Files.readSymbolicLink(p));
                    continue;
                }
                Kind k = a.isRegularFile() ? Kind.REGULAR : a.isDirectory() ? Kind.DIRECTORY
                        : isSocket(p) ? Kind.SOCKET : Kind.SPECIAL;
                return new Resolved(p, k, a);
            }
            throw new WriteFailure(target, "cannot write: more than " + MAX_LINKS + " levels of symbolic links", null);
        } catch (WriteFailure e) {
            throw e;
        } catch (IOException e) {
            throw failure(target, p, e);
        }
    }

    private static boolean isSocket(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Path lockFileOf(Path resolved) {
        return resolved.resolveSibling("." + resolved.getFileName() + LOCK_SUFFIX);
    }

    /** A regular file (or none): temporary, force, then rename over it, or copy into it when it has other links. */
    private static void replace(Path target, Resolved r, Path permissionsFrom, Writer writer) throws IOException {
        Path dest = r.path;
        Path dir = dest.getParent();
        String prefix = "." + dest.getFileName() + ".";
        removeStale(dir, prefix);
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, prefix, TEMP_SUFFIX);
        } catch (IOException e) {
            throw failure(target, dir, e);
        }
        LIVE.add(tmp);
        installHook();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            FileLock mine = tryLock(ch); // marks the temporary as in use for removeStale
            writer.write(ch);
            ch.force(true);
            int links = r.attrs == null ? 0 : (Integer) Files.getAttribute(dest, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            if (links > 1) {
                copyInto(dest, ch);
            } else {
                keepMetadata(r, permissionsFrom, tmp);
                try {
                    try {
                        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw failure(target, dest, e);
                }
                forceDirectory(dir);
            }
            if (mine != null && ch.isOpen()) {
                mine.release();
            }
        } catch (WriteFailure e) {
            throw e;
        } catch (FileSystemException e) {
            Path about = e.getFile() == null ? null : Path.of(e.getFile()).toAbsolutePath();
            if (about != null && !about.equals(tmp) && !about.equals(dest)) {
                throw e; // about another file: the writer's input
            }
            throw failure(target, null, e);
        } catch (IOException e) {
            throw failure(target, null, e); // a write error of the channel (ENOSPC, EIO, EFBIG)
        } finally {
            Files.deleteIfExists(tmp);
            LIVE.remove(tmp);
        }
    }

    /**
     * Copies the complete new contents into the existing file, which has other hard links: first
     * the part past its current end (so a full disk fails before any old byte is overwritten),
     * then the rest, then the new length; forced. A SIGTERM waits for this to finish.
     */
    private static void copyInto(Path dest, FileChannel from) throws IOException {
        IN_PLACE.readLock().lock();
        try (FileChannel to = FileChannel.open(dest, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            long size = from.size(), old = to.size();
            if (size > old) {
                copyRange(from, to, old, size - old, true);
                to.force(false);
            }
            copyRange(from, to, 0, Math.min(size, old), true);
            if (size < old) {
                to.truncate(size);
            }
            to.force(true);
        } finally {
            IN_PLACE.readLock().unlock();
        }
    }

    /**
     * Copies {@code [at, at + length)} of {@code from} to the same place of {@code to}, or when not
     * {@code positioned} (a device or FIFO, which cannot seek) with sequential writes.
     */
    private static void copyRange(FileChannel from, FileChannel to, long at, long length, boolean positioned)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect((int) Math.min(1 << 20, Math.max(1, length)));
        long done = 0;
        while (done < length) {
            b.clear().limit((int) Math.min(b.capacity(), length - done));
            int n = from.read(b, at + done);
            if (n <= 0) {
                throw new IOException("short read from the temporary file");
            }
            b.flip();
            while (b.hasRemaining()) {
                done += positioned ? to.write(b, at + done) : to.write(b);
            }
        }
    }

    /**
     * A device, FIFO or other non-regular file: the contents go to a temporary file first (the
     * writer may seek), then to the target with ordinary sequential writes; never renamed over.
     */
    private static void writeThrough(Path target, Path dest, Writer writer) throws IOException {
        Path tmp;
        try {
            tmp = Files.createTempFile("patchsites-", TEMP_SUFFIX);
        } catch (IOException e) {
            throw failure(target, Path.of(System.getProperty("java.io.tmpdir")), e);
        }
        LIVE.add(tmp);
        installHook();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            writer.write(ch);
            try (FileChannel to = FileChannel.open(dest, StandardOpenOption.WRITE)) {
                copyRange(ch, to, 0, ch.size(), false);
            } catch (IOException e) {
                throw failure(target, null, e);
            }
        } finally {
            Files.deleteIfExists(tmp);
            LIVE.remove(tmp);
        }
    }

    /**
     * The mode, owner and group of the file replaced, or for a new file the permission bits of
     * {@code permissionsFrom} (or rw-r--r--). Set-ID bits are restored only once the owner is
     * (objcopy's rule: no set-user-ID file owned by whoever happened to run the tool).
     */
    private static void keepMetadata(Resolved r, Path permissionsFrom, Path tmp) throws IOException {
        try {
            if (r.attrs == null) {
                Path from = permissionsFrom.toAbsolutePath();
                int mode = Files.exists(from) ? (Integer) Files.getAttribute(from, "unix:mode") & 0777 : 0644;
                Files.setAttribute(tmp, "unix:mode", mode);
                return;
            }
            Map<String, Object> a = Files.readAttributes(r.path, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode") & 07777;
            Files.setAttribute(tmp, "unix:mode", mode & 0777);
            boolean owner = true;
            try {
                Map<String, Object> mine = Files.readAttributes(tmp, "unix:uid,gid");
                for (String id : List.of("uid", "gid")) {
                    if (!mine.get(id).equals(a.get(id))) {
                        Files.setAttribute(tmp, "unix:" + id, a.get(id));
                    }
                }
            } catch (IOException e) {
                owner = false; // not root: the new file is ours
            }
            if (owner && (mode & 07000) != 0) {
                Files.setAttribute(tmp, "unix:mode", mode);
            }
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // Not a POSIX file system: keep the default.
        }
    }

    /** Temporary files being written now: removed by the shutdown hook on SIGTERM/SIGINT. */
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    /** Held (shared) while a hard-linked file is rewritten in place; the hook waits for it. */
    private static final ReentrantReadWriteLock IN_PLACE = new ReentrantReadWriteLock();
    private static boolean hookInstalled;

    private static synchronized void installHook() {
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(AtomicFile::cleanUp, "patchsites-remove-temporaries"));
            hookInstalled = true;
        }
    }

    /**
     * On the way out (SIGTERM, SIGINT, System.exit): lets an in-place copy into a hard-linked
     * file finish (a torn file is worse than a late exit), then removes every live temporary and
     * the lock files this process holds. A rename is atomic, so there is nothing else to wait for.
     */
    private static void cleanUp() {
        try {
            IN_PLACE.writeLock().tryLock(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Set<Path> files : List.of(LIVE, HELD.keySet())) {
            for (Path p : files) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException | RuntimeException e) {
                    // best effort on the way out
                }
            }
        }
    }

    /**
     * Removes temporaries of this target left by killed runs: regular files older than
     * {@link #STALE_AFTER_MILLIS} and not locked by a writer. Anything else of that name (a FIFO,
     * which would block the open) is left alone. Best effort.
     */
    static void removeStale(Path dir, String prefix) {
        long cutoff = System.currentTimeMillis() - STALE_AFTER_MILLIS;
        DirectoryStream.Filter<Path> named = p -> { // PREFIX*SUFFIX
            String n = p.getFileName().toString();
            return n.length() >= prefix.length() + TEMP_SUFFIX.length() && n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX);
        };
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, named)) {
            for (Path p : s) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (!a.isRegularFile() || a.lastModifiedTime().toMillis() > cutoff) {
                        continue;
                    }
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        FileLock l = tryLock(ch);
                        if (l != null && !LIVE.contains(p)) {
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

    /** Makes the rename durable; not every file system lets a directory be opened, so best effort. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // durability of the rename is then up to the file system
        }
    }

    /**
     * A failed write as one message: "cannot write: REASON", where REASON names the directory when
     * that, not the file, is what failed ({@code where}).
     */
    private static WriteFailure failure(Path target, Path where, IOException e) {
        String reason;
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            reason = fs.getReason();
        } else if (e instanceof NoSuchFileException) {
            reason = "No such file or directory";
        } else if (e instanceof AccessDeniedException) {
            reason = "Permission denied";
        } else if (e instanceof NotDirectoryException) {
            reason = "Not a directory";
        } else {
            reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        String in = where == null || where.equals(target.toAbsolutePath()) ? "" : " (" + where + ")";
        return new WriteFailure(target, "cannot write" + in + ": " + reason, e);
    }

}
