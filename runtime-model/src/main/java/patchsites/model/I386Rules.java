package patchsites.model;

import patchsites.isa.X86Codec;

/**
 * i386: the same instructions and policies as x86-64; rel32 wraps around the 32-bit address
 * space, so every target is in range. Linux 6.1 patches only the trampolines on i386 (no objtool,
 * no inline sites), with the same INT3 protocol.
 */
public final class I386Rules extends X86_64Rules {
    public I386Rules(X86Policy policy) {
        super(policy, X86Codec.I386);
    }
}
