package patchsites.model;

/** Choices that change verdicts. Only x86 has one so far. */
public record ModelOptions(X86Policy x86Policy) {
    public static ModelOptions defaults() {
        return new ModelOptions(X86Policy.ALIGNED);
    }
}
