# mcgwd: GNU Makefile.  `make`, `make check`, `make install`, `make demo`.

PREFIX ?=	/usr/local
DESTDIR ?=
SBINDIR =	$(PREFIX)/sbin
BINDIR =	$(PREFIX)/bin
LIBEXECDIR =	$(PREFIX)/libexec/mcgwd
MANDIR =	$(PREFIX)/share/man

CC ?=		cc
YACC =		bison -y
PKGS =		libbsd-overlay libevent libsodium libseccomp libmnl
PKG_CFLAGS :=	$(shell pkg-config --cflags $(PKGS))
PKG_LIBS :=	$(shell pkg-config --libs $(PKGS))
PCAP_LIBS :=	$(shell pkg-config --libs libpcap)
NFT_LIBS :=	$(shell pkg-config --libs libnftnl)

WARNINGS =	-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
		-Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare
CFLAGS ?=	-O2 -g
override CFLAGS +=	-std=c11 -D_GNU_SOURCE $(WARNINGS) -Icommon $(PKG_CFLAGS) \
		-DPREFIX='"$(PREFIX)"'
SANFLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined

COMMON_SRCS =	common/imsg.c common/log.c common/mcgw.c common/sandbox.c \
		common/auth.c
MCGWD_SRCS =	$(filter-out mcgwd/parse.c,$(wildcard mcgwd/*.c)) mcgwd/parse.c
DHCPD_SRCS =	$(wildcard dhcpd-engine/*.c)
ROUTED_SRCS =	$(wildcard routed-engine/*.c)
MCGWCTL_SRCS =	$(wildcard mcgwctl/*.c)

B =		build
obj =		$(patsubst %.c,$(B)/%.o,$(1))
sanobj =	$(patsubst %.c,$(B)/san/%.o,$(1))

BIN =		$(B)/bin
PROGS =		$(BIN)/mcgwd $(BIN)/mcgwd-dhcpd $(BIN)/mcgwd-routed \
		$(BIN)/mcgwctl $(BIN)/mcgw-client

# Unit tests (atf-c), always built with the sanitizers.  Each test links
# the objects it exercises; the _main object of a program is left out.
UNIT_TESTS =	t_imsg t_parse t_dhcp4opt t_pool t_journal t_auth t_binding \
		t_replay t_log t_leases
t_imsg_SRCS =	regress/unit/t_imsg.c
t_parse_SRCS =	regress/unit/t_parse.c mcgwd/parse.c mcgwd/printconf.c
t_dhcp4opt_SRCS = regress/unit/t_dhcp4opt.c dhcpd-engine/dhcp4_opt.c
t_pool_SRCS =	regress/unit/t_pool.c dhcpd-engine/pool.c
t_journal_SRCS = regress/unit/t_journal.c routed-engine/journal.c
t_auth_SRCS =	regress/unit/t_auth.c
t_binding_SRCS = regress/unit/t_binding.c routed-engine/binding.c
t_replay_SRCS =	regress/unit/t_replay.c routed-engine/replay.c
t_log_SRCS =	regress/unit/t_log.c
t_leases_SRCS =	regress/unit/t_leases.c routed-engine/leases.c

.PHONY: all clean check install demo deps bench fuzz fuzz-build
.SECONDARY:

all: $(PROGS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -MMD -MP -c -o $@ $<

mcgwd/parse.c: mcgwd/parse.y
	$(YACC) -o $@ $<

$(BIN)/mcgwd: $(call obj,$(MCGWD_SRCS) $(COMMON_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(PCAP_LIBS) $(NFT_LIBS)

$(BIN)/mcgwd-dhcpd: $(call obj,$(DHCPD_SRCS) $(COMMON_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BIN)/mcgwd-routed: $(call obj,$(ROUTED_SRCS) $(COMMON_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BIN)/mcgwctl: $(call obj,$(MCGWCTL_SRCS) common/imsg.c common/log.c \
    common/mcgw.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BIN)/mcgw-client: $(call obj,mcgw-client/mcgw-client.c common/auth.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

define unit_rule
regress/unit/$(1): $$(call sanobj,$$($(1)_SRCS) $(COMMON_SRCS) \
    regress/unit/lsan.c)
	$$(CC) $$(CFLAGS) $$(SANFLAGS) -o $$@ $$^ -latf-c $$(PKG_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

UNIT_PROGS =	$(addprefix regress/unit/,$(UNIT_TESTS))

# libFuzzer targets (clang), in build/fuzz/.  The library code is built
# again with fuzzer-no-link; fuzz/fuzz_log.c stands in for common/log.c.
# parse.c may open only the fuzzer's own files (see fuzz/fuzz_conf.c).
FUZZ_CC ?=	clang
FUZZ_SAN =	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_SECONDS ?=	60
FUZZ_TARGETS =	fuzz_dhcp4 fuzz_imsg fuzz_conf fuzz_auth fuzz_journal
FUZZ_COMMON =	common/imsg.c common/mcgw.c common/auth.c fuzz/fuzz_log.c
fuzz_dhcp4_SRCS = fuzz/fuzz_dhcp4.c dhcpd-engine/dhcp4_opt.c
fuzz_imsg_SRCS = fuzz/fuzz_imsg.c
fuzz_conf_SRCS = fuzz/fuzz_conf.c mcgwd/parse.c mcgwd/printconf.c
fuzz_auth_SRCS = fuzz/fuzz_auth.c
fuzz_journal_SRCS = fuzz/fuzz_journal.c routed-engine/journal.c
fuzzobj =	$(patsubst %.c,$(B)/fuzz/obj/%.o,$(1))
FUZZ_PROGS =	$(addprefix $(B)/fuzz/,$(FUZZ_TARGETS))

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    $(FUZZ_DEFS) -MMD -MP -c -o $@ $<

$(B)/fuzz/obj/mcgwd/parse.o: FUZZ_DEFS = -Dopen=fuzz_conf_open

define fuzz_rule
$(B)/fuzz/$(1): $$(call fuzzobj,$$($(1)_SRCS) $(FUZZ_COMMON))
	$$(FUZZ_CC) $$(CFLAGS) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ \
	    $$(PKG_LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

fuzz-build: $(FUZZ_PROGS)

fuzz: $(FUZZ_PROGS)
	sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# A stand-in routed-engine for regress/net/t_routing (see mcgwd(8)).
FAKE_ROUTED =	$(B)/regress/fake-routed
$(FAKE_ROUTED): $(call obj,regress/net/fake-routed.c common/imsg.c \
    common/log.c common/mcgw.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

check: all $(UNIT_PROGS) $(FUZZ_PROGS) $(FAKE_ROUTED)
	sh scripts/check.sh

deps:
	sh scripts/deps.sh

demo: all
	sh scripts/demo.sh

# The comparison with Kea and dnsmasq; writes bench/RESULTS.md.
$(B)/bench/gen-journal: $(call obj,bench/gen-journal.c \
    routed-engine/journal.c $(COMMON_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/bench/floor-responder: bench/floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ bench/floor.c

$(B)/bench/rcvbuf.so: bench/rcvbuf.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -fPIC -o $@ bench/rcvbuf.c -ldl

bench: all $(B)/bench/gen-journal $(B)/bench/floor-responder \
    $(B)/bench/rcvbuf.so
	sh bench/deps.sh
	/usr/bin/python3 bench/run.py

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0555 $(BIN)/mcgwd $(BIN)/mcgwctl $(DESTDIR)$(SBINDIR)
	install -m 0555 $(BIN)/mcgwd-dhcpd $(BIN)/mcgwd-routed \
	    $(DESTDIR)$(LIBEXECDIR)
	install -m 0444 man/mcgwd.8 man/mcgwctl.8 $(DESTDIR)$(MANDIR)/man8
	install -m 0444 man/mcgwd.conf.5 $(DESTDIR)$(MANDIR)/man5
	install -m 0555 $(BIN)/mcgw-client $(DESTDIR)$(BINDIR)
	install -m 0444 man/mcgw-client.1 $(DESTDIR)$(MANDIR)/man1
	install -m 0444 man/mcgwd-auth.7 $(DESTDIR)$(MANDIR)/man7

clean:
	rm -rf $(B) mcgwd/parse.c $(UNIT_PROGS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
