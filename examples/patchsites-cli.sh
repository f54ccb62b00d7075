# Sourced by the examples' build scripts: `patchsites ARGS...` runs the CLI, from
# PATCHSITES_CLASSPATH (with PATCHSITES_JAVA, default java) when set, as the JUnit tests do
# since they run before the jar is packaged, else the repository's ./patchsites.
patchsites() {
    if [[ -n ${PATCHSITES_CLASSPATH:-} ]]; then
        "${PATCHSITES_JAVA:-java}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$PATCHSITES_CLASSPATH" patchsites.collector.cli.Main "$@"
    else
        "$root/patchsites" "$@"
    fi
}
