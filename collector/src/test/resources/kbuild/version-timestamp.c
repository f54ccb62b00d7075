/* init/version-timestamp.c of the fixture: link-vmlinux.sh links it into every vmlinux. */
const char linux_banner[] = "patchsites mini-kbuild";
