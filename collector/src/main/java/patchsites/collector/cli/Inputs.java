package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ObjectReader;
import patchsites.collector.emit.AtomicFile;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The loop of every command that takes many files (scan, pointers, emit, devirtualize, audit):
 * each file is worked on by a pool thread, and its result reported on the calling thread in the
 * order of the arguments, as if the files had been done one after the other, under the progress
 * line. And the reading of one file's objects, with what stopped it as one line.
 */
final class Inputs {
    private Inputs() {}

    /**
     * Works on {@code files} on up to {@code threads} daemon threads (so that a failed run never
     * waits on its workers; whatever can go wrong with a file is in its result) and hands the
     * results to {@code report} in argument order, on this thread (it clears the progress line
     * before it prints), with a progress line named after the command. Arguments that name the same file (its inode: hard links count as one) go to
     * one task, in order: two channels of one file in one process would share (and on close drop)
     * each other's POSIX lock. An Error on a pool thread is rethrown here, not lost in the pool.
     */
    static <R> void inOrder(CommandSpec spec, List<Path> files, int threads, boolean quiet, Function<Path, R> work,
            BiConsumer<R, Progress> report) {
        Map<Object, List<Integer>> byFile = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            byFile.computeIfAbsent(fileKey(files.get(i)), k -> new ArrayList<>()).add(i);
        }
        String name = spec.name();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, byFile.size())), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        List<CompletableFuture<R>> results = new ArrayList<>(Collections.nCopies(files.size(), null));
        for (List<Integer> same : byFile.values()) {
            same.forEach(i -> results.set(i, new CompletableFuture<>()));
            pool.execute(() -> {
                for (int i : same) {
                    try {
                        results.get(i).complete(work.apply(files.get(i)));
                    } catch (Throwable t) {
                        results.get(i).completeExceptionally(t);
                    }
                }
            });
        }
        pool.shutdown();
        PrintWriter err = spec.commandLine().getErr();
        try (Progress progress = Progress.of(err, name, files.size(), quiet)) {
            for (int i = 0; i < results.size(); i++) {
                R r = join(results.get(i));
                results.set(i, null); // let reported results go
                report.accept(r, progress);
                progress.step();
            }
        }
    }

    private static <R> R join(CompletableFuture<R> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw (RuntimeException) e.getCause();
        }
    }

    /** Which file a path names: its inode ({@link AtomicFile#fileKey}), so hard links count as one. */
    private static Object fileKey(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            Object key = AtomicFile.fileKey(abs);
            return key != null ? key : abs;
        } catch (IOException e) {
            return abs; // unreadable: its task reports that
        }
    }

    /** An archive member that is no object, after {@code objectsBefore} objects of its archive. */
    private record Skipped(String member, String reason, int objectsBefore) {}

    /** What a command makes of one object (or archive member); an exception stops the file. */
    interface PerObject<T> {
        T of(String member, ElfFile elf) throws IOException;
    }

    /** One file read by {@link #read}: a result per object, the members skipped, and what stopped it. */
    static final class Read<T> {
        final String file;
        final List<T> objects = new ArrayList<>();
        private final List<Skipped> skipped = new ArrayList<>();
        private int warned;
        private String failedWhere, failure;

        private Read(String file) {
            this.file = file;
        }

        private void fail(String where, String message) {
            failedWhere = where;
            failure = message;
        }

        /** Whether {@link #report} has something to say. */
        boolean hasMessages() {
            return failure != null || !skipped.isEmpty();
        }

        /** Hands each object to {@code each} in the order read, after a warning for each member skipped before it. */
        void forEach(Diagnostics diag, Consumer<T> each) {
            for (int i = 0; i < objects.size(); i++) {
                warnSkipped(diag, i);
                each.accept(objects.get(i));
            }
        }

        /** The members skipped (not yet warned about) as warnings, then what stopped the file as an error; returns whether it failed. */
        boolean report(Diagnostics diag) {
            warnSkipped(diag, objects.size());
            if (failure != null) {
                diag.error(failedWhere, failure);
            }
            return failure != null;
        }

        private void warnSkipped(Diagnostics diag, int objectsBefore) {
            for (; warned < skipped.size() && skipped.get(warned).objectsBefore <= objectsBefore; warned++) {
                diag.warning(Diagnostics.where(file, skipped.get(warned).member), skipped.get(warned).reason);
            }
        }
    }

    /** A file that a command refuses before reading it. */
    static <T> Read<T> failed(Path path, String message) {
        Read<T> read = new Read<>(path.toString());
        read.fail(read.file, message);
        return read;
    }

    /**
     * Reads every object of {@code path} (an object, or an archive: member by member, those that
     * are no object skipped); anything that stops it, also a check the ELF layer missed, becomes
     * one line naming the file or its member, never a stack trace.
     */
    static <T> Read<T> read(Path path, PerObject<T> each) {
        Read<T> read = new Read<>(path.toString());
        try {
            ObjectReader.read(path, (member, elf) -> read.objects.add(each.of(member, elf)),
                    (member, reason) -> read.skipped.add(new Skipped(member, reason, read.objects.size())));
        } catch (ObjectReader.MemberException e) {
            read.fail(Diagnostics.where(read.file, e.member), e.getMessage());
        } catch (IOException | RuntimeException | InternalError e) {
            Diagnostics.rethrowUnlessMappingFault(e);
            read.fail(read.file, Diagnostics.failure(e));
        }
        return read;
    }
}
