package patchsites.collector.elf;

/**
 * The input is not a well-formed object. The message is one line saying what is wrong,
 * without the file name: the caller knows which file (or archive member) it was reading.
 */
public final class ElfFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ElfFormatException(String message) {
        super(message, null, false, false);
    }
}
