package patchsites.collector.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The eight-bytes-a-step NUL search agrees with a byte-by-byte one at every offset. */
class StringTableTest {
    @Test
    void lengthAgreesWithAByteByByteSearchEverywhere() {
        Random r = new Random(7);
        for (int round = 0; round < 300; round++) {
            byte[] b = new byte[1 + r.nextInt(200)];
            for (int i = 0; i < b.length; i++) {
                // Mostly names, some NULs, and bytes 0x80/0x01 that fool a careless zero-byte test.
                int pick = r.nextInt(10);
                b[i] = (byte) (pick == 0 ? 0 : pick == 1 ? 0x80 : pick == 2 ? 0x01 : pick == 3 ? 0xff : 'a' + r.nextInt(26));
            }
            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                // A slice at an odd place, as a section's bytes are in a mapped file.
                ByteBuffer whole = ByteBuffer.allocate(b.length + 3).order(order);
                whole.position(3);
                whole.put(b);
                StringTable t = new StringTable(whole.position(3).slice().order(order), "t");
                for (int off = 0; off < b.length; off++) {
                    int end = off;
                    while (end < b.length && b[end] != 0) {
                        end++;
                    }
                    if (end == b.length) {
                        int o = off;
                        assertThrows(ElfFormatException.class, () -> t.length(o));
                    } else {
                        assertEquals(end - off, t.length(off), "offset " + off);
                    }
                }
            }
        }
    }
}
