package patchsites.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One re-targeting transaction over an in-memory text image of N x86 call sites, per protocol.
 * Sites are laid out 8 bytes apart with their rel32 4-byte aligned (the sites the atomic protocol
 * applies to). The sync rounds are counted, not paid: on real hardware each is an IPI round.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PatchBench {
    @Param({"1000", "100000", "1000000"})
    public int sites;

    @Param({"atomic", "breakpoint-batched", "breakpoint-one-by-one"})
    public String protocol;

    private TextImage text;
    private int[] insn, field, relA, relB;
    private byte[] opcode;
    private PatchSimulator.Protocol p;
    private int flip;

    /** Reported next to the time: sync rounds per transaction and sites per transaction. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Counters {
        public long syncRounds;
        public long sitesPatched;
    }

    @Setup(Level.Trial)
    public void setup() {
        for (PatchSimulator.Protocol x : PatchSimulator.Protocol.values()) {
            if (x.label().equals(protocol)) {
                p = x;
            }
        }
        text = new TextImage(sites * 8 + 8);
        insn = new int[sites];
        field = new int[sites];
        relA = new int[sites];
        relB = new int[sites];
        opcode = new byte[sites];
        for (int i = 0; i < sites; i++) {
            insn[i] = i * 8 + 3; // E8 at 8k+3: rel32 at 8k+4
            field[i] = insn[i] + 1;
            opcode[i] = (byte) 0xe8;
            relA[i] = 0x1000 + i;
            relB[i] = -0x1000 - i;
            text.put(insn[i], new byte[] {(byte) 0xe8, 0, 0, 0, 0});
        }
    }

    @Benchmark
    public void transaction(Counters c) {
        int[] rel = (++flip & 1) == 0 ? relA : relB; // alternate targets so every store changes bytes
        PatchSimulator sim = new PatchSimulator(text);
        sim.apply(p, sites, insn, field, rel, opcode);
        c.syncRounds += sim.syncRounds();
        c.sitesPatched += sites;
    }
}
