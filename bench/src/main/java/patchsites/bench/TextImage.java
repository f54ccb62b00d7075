package patchsites.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * An in-memory text image with the memory model the verdicts assume: the instruction fetcher
 * and the patcher both move naturally aligned 32-bit words, each atomically. A field inside one
 * word is stored and fetched whole; a field that straddles two words is stored as two word
 * stores (a split store) and fetched as two word loads, so a fetch may see half old, half new.
 *
 * <p>This is a model of why the verdict matters, not a claim about how a real CPU fetches
 * instructions (which no vendor fully documents for cross-modifying code).
 */
public final class TextImage {
    private static final VarHandle WORD = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BYTE = MethodHandles.arrayElementVarHandle(byte[].class);

    private final byte[] bytes;

    public TextImage(int size) {
        bytes = new byte[(size + 7) & ~3];
    }

    public int size() {
        return bytes.length;
    }

    public void put(int at, byte[] b) {
        System.arraycopy(b, 0, bytes, at, b.length);
    }

    public byte get(int at) {
        return bytes[at];
    }

    /** One patcher store of the little-endian 32-bit field at {@code at}. */
    public void storeField32(int at, int value) {
        int shift = (at & 3) * 8;
        int w0 = at & ~3;
        if (shift == 0) {
            WORD.setVolatile(bytes, w0, value);
            return;
        }
        int lowMask = (1 << shift) - 1; // bytes of word 0 below the field
        int old0 = (int) WORD.getVolatile(bytes, w0);
        int old1 = (int) WORD.getVolatile(bytes, w0 + 4);
        WORD.setVolatile(bytes, w0, (old0 & lowMask) | (value << shift));
        WORD.setVolatile(bytes, w0 + 4, (old1 & ~(-1 >>> (32 - shift))) | (value >>> (32 - shift)));
    }

    /**
     * The same store with release ordering only: what a patcher that fences once per batch does.
     * An aligned field is still one atomic word store.
     */
    public void storeField32Release(int at, int value) {
        int shift = (at & 3) * 8;
        int w0 = at & ~3;
        if (shift == 0) {
            WORD.setRelease(bytes, w0, value);
            return;
        }
        int lowMask = (1 << shift) - 1;
        int old0 = (int) WORD.getAcquire(bytes, w0);
        int old1 = (int) WORD.getAcquire(bytes, w0 + 4);
        WORD.setRelease(bytes, w0, (old0 & lowMask) | (value << shift));
        WORD.setRelease(bytes, w0 + 4, (old1 & ~(-1 >>> (32 - shift))) | (value >>> (32 - shift)));
    }

    /** One byte store (the INT3 of the breakpoint protocol, or the first byte written back). */
    public void storeByteRelease(int at, byte value) {
        BYTE.setRelease(bytes, at, value);
    }

    /** One fetch of the little-endian 32-bit field at {@code at}, word by word. */
    public int fetchField32(int at) {
        int shift = (at & 3) * 8;
        int w0 = at & ~3;
        int lo = (int) WORD.getVolatile(bytes, w0);
        if (shift == 0) {
            return lo;
        }
        int hi = (int) WORD.getVolatile(bytes, w0 + 4);
        return (lo >>> shift) | (hi << (32 - shift));
    }

    /** A plain (non-concurrent) store, e.g. for an offline patch. */
    public void write32(int at, int value) {
        for (int i = 0; i < 4; i++) {
            bytes[at + i] = (byte) (value >>> (8 * i));
        }
    }
}
