package patchsites.collector.scan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The census of pointer slots over many objects ({@code patchsites pointers}): per slot, its call
 * sites (memory-indirect and loaded, how many through a retpoline thunk), the default where an
 * input defines the object, the stores to it and the object's address taken, each split by whether
 * it sits in an init section; then the slots ranked as candidates for static calls
 * (docs/pointers.md, "Ranking"):
 *
 * <ol>
 * <li>by how the slot is written: {@code init-only} (an input defines the object, and every store
 *     to the slot and every place that takes the object's address is in an init section),
 *     then {@code not-seen} (no input defines the object, no input writes it after init: its
 *     writes are in objects not given), then {@code runtime} (a store to the slot, or the
 *     object's address taken, outside init);</li>
 * <li>by score = call sites + call sites through a retpoline thunk (a retpolined call costs a
 *     retpoline on top of the indirect call, so it counts twice), highest first;</li>
 * <li>by call sites, then by name.</li>
 * </ol>
 *
 * A global object is one slot set across all inputs (pv_ops+0xb8 in every module is the same
 * slot); a local ({@code static}) one is the input's own.
 */
public final class PointerCensus {
    /** How a slot is written, in rank order. Labels are the CLI/JSON spelling. */
    public enum Written {
        INIT_ONLY("init-only"), NOT_SEEN("not-seen"), RUNTIME("runtime");

        private final String label;

        Written(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** One slot's row. {@code file} names the input for a local object, else null. */
    public static final class Slot {
        public final String slot, object, file;
        public final long offset;
        public int sites, memoryIndirect, loaded, retpolined, tail, objects, givenUp;
        public String defaultTarget;
        public int stores, storesInit;
        Counts objectFacts;
        private String lastWhere;

        Slot(String slot, String object, String file, long offset) {
            this.slot = slot;
            this.object = object;
            this.file = file;
            this.offset = offset;
        }

        public int addressTaken() {
            return objectFacts.addressTaken;
        }

        public int addressTakenInit() {
            return objectFacts.addressTakenInit;
        }

        public boolean defined() {
            return objectFacts.defined;
        }

        public Written written() {
            if (stores > storesInit || addressTaken() > addressTakenInit()) {
                return Written.RUNTIME;
            }
            return defined() ? Written.INIT_ONLY : Written.NOT_SEEN;
        }

        public int score() {
            return sites + retpolined;
        }
    }

    /** What the census knows about an object as a whole. */
    static final class Counts {
        int addressTaken, addressTakenInit;
        boolean defined;
    }

    private final Map<String, Slot> slots = new HashMap<>();
    private final Map<String, Counts> objects = new HashMap<>();
    /** Stores seen before a site named their slot: object key -> slot offset -> {stores, init}. */
    private final Map<String, Map<Long, int[]>> pendingStores = new HashMap<>();
    /** Loads given up, by slot key (the slot may get its first site from a later input). */
    private final Map<String, Integer> givenUp = new HashMap<>();
    private int inputs;

    /** Sections whose code or data runs only while the kernel or the module initialises. */
    public static boolean isInit(String section) {
        return section.startsWith(".init.") || section.startsWith(".meminit.") || section.equals(".init");
    }

    /** Adds one object's scan; {@code where} names it (file, or file(member)). */
    public void add(String where, PointerScanner.Result r) {
        inputs++;
        for (PointerSite s : r.sites()) {
            String object = objectName(s.pointer());
            Slot slot = slot(where, object, r.local().contains(object), s.slotOffset(), s.pointer());
            slot.sites++;
            if (s.loadOffset() < 0) {
                slot.memoryIndirect++;
            } else {
                slot.loaded++;
            }
            slot.retpolined += s.retpoline() ? 1 : 0;
            slot.tail += s.kind().isTail() ? 1 : 0;
            if (slot.defaultTarget == null) {
                slot.defaultTarget = s.defaultTarget();
            }
            if (!where.equals(slot.lastWhere)) {
                slot.objects++;
                slot.lastWhere = where;
            }
        }
        for (GivenUpLoad g : r.givenUp()) {
            String object = objectName(g.pointer());
            givenUp.merge(key(where, object, r.local().contains(object)) + offsetOf(g.pointer()), 1, Integer::sum);
        }
        for (String d : r.defined()) {
            counts(key(where, d, r.local().contains(d))).defined = true;
        }
        for (PointerRef ref : r.refs()) {
            String key = key(where, ref.object(), r.local().contains(ref.object()));
            boolean init = isInit(ref.section());
            if (ref.store()) {
                int[] n = pendingStores.computeIfAbsent(key, k -> new HashMap<>())
                        .computeIfAbsent(ref.slotOffset(), k -> new int[2]);
                n[0]++;
                n[1] += init ? 1 : 0;
            } else {
                Counts c = counts(key);
                c.addressTaken++;
                c.addressTakenInit += init ? 1 : 0;
            }
        }
    }

    /** Slots with at least one call site, ranked. */
    public List<Slot> ranked() {
        List<Slot> out = new ArrayList<>();
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            Slot s = e.getValue();
            String key = e.getKey().substring(0, e.getKey().length() - Long.toString(s.offset).length() - 1);
            s.objectFacts = counts(key);
            int[] n = pendingStores.getOrDefault(key, Map.of()).get(s.offset);
            s.stores = n == null ? 0 : n[0];
            s.storesInit = n == null ? 0 : n[1];
            s.givenUp = givenUp.getOrDefault(e.getKey(), 0);
            out.add(s);
        }
        out.sort(Comparator.comparing(Slot::written).thenComparing(Comparator.comparingInt(Slot::score).reversed())
                .thenComparing(Comparator.comparingInt((Slot s) -> s.sites).reversed())
                .thenComparing(s -> s.slot).thenComparing(s -> s.file == null ? "" : s.file));
        return out;
    }

    public int inputs() {
        return inputs;
    }

    private Slot slot(String where, String object, boolean local, long offset, String pointer) {
        String key = key(where, object, local) + "@" + offset;
        return slots.computeIfAbsent(key, k -> new Slot(pointer, object, local ? where : null, offset));
    }

    private Counts counts(String key) {
        return objects.computeIfAbsent(key, k -> new Counts());
    }

    /** A global object is one across inputs; a local one is its input's. */
    private static String key(String where, String object, boolean local) {
        return local ? where + "\0" + object : object;
    }

    /** "@offset" of a slot named like pv_ops+0xb8, as {@link #slot} keys it. */
    private static String offsetOf(String pointer) {
        int plus = pointer.lastIndexOf("+0x"), minus = pointer.lastIndexOf("-0x");
        long off = plus > 0 ? Long.parseLong(pointer.substring(plus + 3), 16)
                : minus > 0 ? -Long.parseLong(pointer.substring(minus + 3), 16) : 0;
        return "@" + off;
    }

    private static String objectName(String pointer) {
        int plus = pointer.lastIndexOf("+0x"), minus = pointer.lastIndexOf("-0x");
        int cut = Math.max(plus, minus);
        return cut > 0 ? pointer.substring(0, cut) : pointer;
    }
}
