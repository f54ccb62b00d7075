package patchsites.collector.elf;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Releases a mapping now rather than at some later garbage collection, through
 * {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported, as Lucene does). Where that is
 * not available the mapping is left to the collector: slower to release, never wrong.
 */
final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method clean = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            clean = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // clean stays null (it is found last): mappings are left to the garbage collector
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = clean;
    }

    private Unmapper() {}

    static void unmap(ByteBuffer mapping) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, mapping);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Leave it to the garbage collector.
        }
    }
}
