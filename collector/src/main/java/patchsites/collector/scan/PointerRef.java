package patchsites.collector.scan;

/**
 * A reference to a pointer object that is neither a call through it nor a load of a slot: a store
 * to a slot ({@code mov %rax,ops+0x8(%rip)}, {@code movq $0,ops(%rip)}, or an instruction not
 * known not to write its operand), or the object's address taken ({@code lea ops(%rip)}, {@code
 * mov $ops,%rdi}, a pointer to it in data), through which it may be written anywhere.
 *
 * @param object         the pointer object's symbol
 * @param slotOffset     for a store, the slot's offset in the object; -1 for an address taken
 * @param store          a store (else an address taken)
 * @param section        the section holding the instruction or the data word
 * @param offset         the relocated field's offset in it
 * @param function       the STT_FUNC symbol containing it, or null
 */
public record PointerRef(String object, long slotOffset, boolean store, String section, long offset, String function) {
}
