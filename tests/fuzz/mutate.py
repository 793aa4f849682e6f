#!/usr/bin/env python3
"""Deterministic mutations of polus inputs, for the robustness tests of tests/fuzz.

  mutate.py elf SEED COUNT IN.so OUTDIR [SECTION...]
                                            corrupt copies of an ELF file: OUTDIR/NNN-what.so,
                                            plus bad headers of each SECTION named
  mutate.py yaml SEED COUNT IN.yaml OUTDIR   broken version files: OUTDIR/NNN-what.yaml
  mutate.py meta SEED COUNT IN.meta OUTDIR   broken .polus.meta sections: OUTDIR/NNN-what.meta

The same SEED gives the same files, so a failure names a variant that can be rerun.
Besides random byte flips, fields are set to the values that break size arithmetic
(0, -1, values near 2^64 and 2^32, the file size) since those find the missing checks.
"""
import random
import struct
import sys

U64 = [0, 1, 0xfff, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
       0x7fffffffffffffff, 0x8000000000000000, 0xfffffffffffffff8, 0xfffffffffffffffc,
       0xfffffffffffff000, 0xffffffffffffffff]
U32 = [0, 1, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]


def elf_layout(b):
    """(name, offset, size, entsize) of the interesting regions of an ELF64 file."""
    phoff, shoff = struct.unpack_from('<QQ', b, 32)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from('<HHHHH', b, 54)
    regions = [('ehdr', 0, 64, 0), ('phdr', phoff, phnum * phentsize, phentsize),
               ('shdr', shoff, shnum * shentsize, shentsize)]
    shdrs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
    stroff = shdrs[shstrndx][4]
    for sh in shdrs:
        name = b[stroff + sh[0]:b.index(b'\0', stroff + sh[0])].decode()
        if sh[1] == 8 or sh[5] == 0:  # SHT_NOBITS
            continue
        regions.append((name, sh[4], sh[5], sh[9]))
    return regions


def put(b, off, fmt, v):
    if off + struct.calcsize(fmt) <= len(b):
        struct.pack_into(fmt, b, off, v)


def elf_variants(rng, count, data, focus=()):
    regs = {r[0]: r for r in elf_layout(data)}
    out = []
    # truncations: the first bytes, every header, and a spread over the whole file
    cuts = sorted({0, 1, 4, 16, 63, 64, 65, 120, len(data) - 1, len(data) // 2} |
                  {rng.randrange(len(data)) for _ in range(10)})
    for c in cuts:
        out.append(('trunc%d' % c, bytes(data[:c])))
    # phdr fields: p_type p_flags p_offset p_vaddr p_paddr p_filesz p_memsz p_align
    phdr_fields = [(0, '<I'), (4, '<I'), (8, '<Q'), (16, '<Q'), (32, '<Q'), (40, '<Q'), (48, '<Q')]
    shdr_fields = [(0, '<I'), (4, '<I'), (8, '<Q'), (16, '<Q'), (24, '<Q'), (32, '<Q'),
                   (40, '<I'), (44, '<I'), (56, '<Q')]
    ehdr_fields = [(4, '<B'), (5, '<B'), (16, '<H'), (18, '<H'), (24, '<Q'), (32, '<Q'),
                   (40, '<Q'), (52, '<H'), (54, '<H'), (56, '<H'), (58, '<H'), (60, '<H'),
                   (62, '<H')]
    # not r_addend: any value is a valid addend of R_X86_64_64, a wrong one is no
    # corruption a loader can see (the patched code would just use a wrong pointer)
    rel_fields = [(0, '<Q'), (8, '<Q'), (8, '<I'), (12, '<I')]
    sym_fields = [(0, '<I'), (4, '<B'), (5, '<B'), (6, '<H'), (8, '<Q'), (16, '<Q')]
    dyn_fields = [(0, '<Q'), (8, '<Q')]
    plan = [('ehdr', ehdr_fields, 14), ('phdr', phdr_fields, 24), ('shdr', shdr_fields, 24),
            ('.dynamic', dyn_fields, 10), ('.rela.dyn', rel_fields, 16),
            ('.dynsym', sym_fields, 12), ('.dynstr', None, 4), ('.shstrtab', None, 4),
            ('.note.gnu.build-id', None, 4), ('.symtab', sym_fields, 8), ('.strtab', None, 3),
            ('.polus.meta', None, 6), ('.polus.version', None, 4)]
    for region, fields, n in plan:
        if region not in regs:
            continue
        _, off, size, ent = regs[region]
        ent = ent or {'ehdr': 64}.get(region, 0)
        for k in range(n):
            b = bytearray(data)
            if fields and rng.random() < 0.75:
                fo, fmt = rng.choice(fields)
                nent = max(1, size // ent) if ent else 1
                at = off + rng.randrange(nent) * (ent or 0) + fo
                bits = struct.calcsize(fmt) * 8
                pool = U64 if bits == 64 else U32 if bits == 32 else None
                if pool and rng.random() < 0.7:
                    v = rng.choice(pool + [len(data), len(data) + 1])
                else:
                    v = rng.getrandbits(bits)
                put(b, at, fmt, v & ((1 << bits) - 1))
                what = '%s+%d=%#x' % (region, at - off, v & ((1 << bits) - 1))
            else:
                nflips = rng.choice([1, 1, 2, 4, 8])
                for _ in range(nflips):
                    at = off + rng.randrange(max(1, size))
                    b[at] ^= 1 << rng.randrange(8) if rng.random() < 0.5 else rng.randrange(1, 256)
                what = '%s-flip%d' % (region, nflips)
            out.append((what, bytes(b)))
    rng.shuffle(out)
    out = out[:count]
    # the wrap-arounds found so far, always in: the end of a segment or of a relocated
    # word past 2^64
    phoff, = struct.unpack_from('<Q', data, 32)
    phentsize, phnum = struct.unpack_from('<HH', data, 54)
    for i in range(phnum):
        at = phoff + i * phentsize
        if struct.unpack_from('<I', data, at)[0] == 1:  # PT_LOAD
            for fo, v in ((8, 0xffffffffffffff00), (16, 0xfffffffffffff000),
                          (40, 0xffffffffffffffff)):
                b = bytearray(data)
                put(b, at + fo, '<Q', v)
                out.append(('load%d+%d=%#x' % (i, fo, v), bytes(b)))
            break
    if '.rela.dyn' in regs:
        for v in (0xfffffffffffffffc, 0xfffffffffffffff8):
            b = bytearray(data)
            put(b, regs['.rela.dyn'][1], '<Q', v)
            out.append(('rela0-offset=%#x' % v, bytes(b)))
    # the section headers of the named sections, field by field: what a reader of
    # exactly these sections must check before trusting sh_offset and sh_size
    shoff, = struct.unpack_from('<Q', data, 40)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 58)
    stroff = struct.unpack_from('<Q', data, shoff + shstrndx * shentsize + 24)[0]
    for i in range(shnum):
        at = shoff + i * shentsize
        nm = struct.unpack_from('<I', data, at)[0]
        name = bytes(data[stroff + nm:data.index(b'\0', stroff + nm)]).decode()
        if name not in focus:
            continue
        for fo, fmt, vals in ((24, '<Q', [len(data), 0xfffffffffffff000, 0xffffffffffffffff]),
                              (32, '<Q', [0, len(data), 0x10000000000, 0xffffffffffffffff]),
                              (4, '<I', [8, 2, 0xffffffff]), (56, '<Q', [0xffffffffffffffff])):
            for v in vals:
                b = bytearray(data)
                put(b, at + fo, fmt, v)
                out.append(('%s-shdr+%d=%#x' % (name, fo, v), bytes(b)))
    return out


def yaml_variants(rng, count, text):
    lines = text.splitlines(keepends=True)
    out = []
    out.append(('empty', ''))
    out.append(('nul', '\0'))
    out.append(('only-comment', '# nothing\n'))
    out.append(('scalar-root', 'just a string\n'))
    out.append(('list-root', '- 1\n- 2\n'))
    out.append(('two-docs', text + '---\n' + text))
    out.append(('garbage', ''.join(chr(rng.randrange(1, 256)) for _ in range(300))))
    out.append(('binary', bytes(rng.randrange(256) for _ in range(200)).decode('latin-1')))
    out.append(('bad-utf8', text.replace('p1', '\udcff', 1)))
    out.append(('deep-flow', 'polus-patch: 1\nname: ' + '[' * 20000 + ']' * 20000 + '\n'))
    out.append(('deep-flow-unclosed', 'polus-patch: 1\nname: ' + '{a: ' * 20000 + '\n'))
    out.append(('deep-block', 'polus-patch: 1\nname:\n' +
                ''.join(' ' * (i + 1) + '- \n' for i in range(3000))))
    out.append(('long-name', text.replace('name: p1', 'name: ' + 'A' * 1000000, 1)))
    out.append(('long-key', 'K' * 200000 + ': 1\n' + text))
    out.append(('huge-format', text.replace('polus-patch: 1', 'polus-patch: 99999999999999999999999')))
    out.append(('neg-format', text.replace('polus-patch: 1', 'polus-patch: -1')))
    out.append(('format-list', text.replace('polus-patch: 1', 'polus-patch: [1]')))
    out.append(('format-map', text.replace('polus-patch: 1', 'polus-patch: {a: 1}')))
    out.append(('format-null', text.replace('polus-patch: 1', 'polus-patch:')))
    out.append(('alias-bomb', 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
                ''.join('%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' %
                        ((chr(98 + i), chr(98 + i)) + (chr(97 + i),) * 9) for i in range(9)) +
                text))
    out.append(('alias-undefined', text + 'extra: *nope\n'))
    out.append(('alias-key', text.replace('polus-patch: 1', '&k polus-patch: 1\n*k : 2')))
    out.append(('dup-keys', text + text))
    out.append(('tabs', text.replace('  ', '\t')))
    out.append(('many-functions', text.split('functions:')[0] + 'functions:\n' +
                '- {name: f, change: new, new-symbol: f, new-addr: 0x1}\n' * 30000))
    out.append(('many-binds', text + 'binds:\n' + '- {symbol: s, addr: 0x1}\n' * 30000))
    for key in ('polus-patch', 'name', 'target', 'build-id', 'functions', 'binds', 'change',
                'new-symbol', 'new-addr', 'old-addr', 'old-size', 'old-symbol', 'symbol', 'addr',
                'redirect', 'tls', 'requires', 'warnings', 'reasons'):
        sel = [l for l in lines if l.lstrip(' -{').startswith(key + ':')]
        if not sel:
            continue
        out.append(('drop-' + key, ''.join(l for l in lines if l not in sel[:1])))
        for what, val in (('list', '[1, 2]'), ('map', '{a: b}'), ('huge', '0x' + 'f' * 40),
                          ('neg', '-1'), ('text', 'hello'), ('null', '~'), ('empty', '""'),
                          ('long', 'x' * 100000)):
            if rng.random() < 0.35:
                new = [l if l is not sel[0] else
                       l[:l.index(key + ':') + len(key) + 1] + ' ' + val +
                       (',' + l.split(',', 1)[1] if '{' in l and ',' in l.split(key + ':', 1)[1] else '\n')
                       for l in lines]
                out.append(('%s-%s' % (key, what), ''.join(new)))
    for k in range(12):
        t = list(text)
        for _ in range(rng.choice([1, 2, 5])):
            t[rng.randrange(len(t))] = chr(rng.choice([0x20, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2d,
                                                        0x26, 0x2a, 0x21, 0x22, 0x27, 0x23, 0x7c,
                                                        0x3e, 0x0a, 0x09, rng.randrange(1, 128)]))
        out.append(('flip%d' % k, ''.join(t)))
    for k in range(6):
        c = rng.randrange(len(text))
        out.append(('cut%d' % c, text[:c]))
    out = out[:8] + rng.sample(out[8:], len(out) - 8)
    return out[:count]


def meta_variants(rng, count, text):
    lines = text.split(b'\n')
    out = [('empty', b''), ('nul', b'\0'), ('no-end', b'\n'.join(l for l in lines if l != b'end')),
           ('version2', text.replace(b'polus-meta\t1', b'polus-meta\t2', 1)),
           ('no-header', b'\n'.join(lines[1:])),
           ('only-header', b'polus-meta\t1\n'),
           ('header-end', b'polus-meta\t1\nend\n'),
           ('no-newline', text.rstrip(b'\n')),
           ('tabs-only', b'polus-meta\t1\n' + b'\t' * 5000 + b'\nend\n'),
           ('backslash-end', text.replace(b'\n', b'\\\n', 3)),
           ('long-line', text.replace(b'\nend', b'\nfn\t' + b'A' * 500000 + b'\nend', 1)),
           ('many-fields', text.replace(b'\nend', b'\nfn' + b'\tx' * 5000 + b'\nend', 1)),
           ('hashes0', text.replace(b'polus-meta\t1\n', b'polus-meta\t1\nhashes\t0\n', 1)),
           ('hashes-huge', text.replace(b'polus-meta\t1\n', b'polus-meta\t1\nhashes\t99999999999999\n', 1)),
           ('src-noslash', text.replace(b'\nsrc\t', b'\nsrc\tx\nsrcold\t', 1)),
           ('cwd-empty', text.replace(b'\ncwd\t', b'\ncwd\t\ncwdold\t', 1)),
           ('cwd-relative', text.replace(b'\ncwd\t', b'\ncwd\trel\ncwdold\t', 1)),
           ('src-dots', text.replace(b'\nsrc\t', b'\nsrc\t../../../../../..\nsrcold\t', 1)),
           ('src-root', text.replace(b'\nsrc\t', b'\nsrc\t/\nsrcold\t', 1)),
           ('dup-record', text + text),
           ('padding', b'\0' * 100 + text + b'\0' * 100)]
    kinds = sorted({l.split(b'\t')[0] for l in lines if l})
    for k in kinds:
        sel = [i for i, l in enumerate(lines) if l.split(b'\t')[0] == k]
        i = rng.choice(sel)
        f = lines[i].split(b'\t')
        for n in sorted({0, 1, len(f) - 1}):
            nl = list(lines)
            nl[i] = b'\t'.join(f[:n])
            out.append(('%s-%dfields' % (k.decode(), n), b'\n'.join(nl)))
    for k in range(20):
        t = bytearray(text)
        for _ in range(rng.choice([1, 2, 4, 16])):
            t[rng.randrange(len(t))] = rng.choice([0, 9, 10, 0x5c, rng.randrange(1, 256)])
        out.append(('flip%d' % k, bytes(t)))
    for k in range(8):
        c = rng.randrange(len(text))
        out.append(('cut%d' % c, text[:c]))
    out = out[:6] + rng.sample(out[6:], len(out) - 6)
    return out[:count]


def main():
    kind, seed, count, src, outdir = sys.argv[1:6]
    rng = random.Random(int(seed))
    with open(src, 'rb') as f:
        data = f.read()
    if kind == 'elf':
        vs, ext = elf_variants(rng, int(count), bytearray(data), sys.argv[6:]), 'so'
    elif kind == 'yaml':
        vs = [(w, t.encode('utf-8', 'surrogateescape'))
              for w, t in yaml_variants(rng, int(count), data.decode())]
        ext = 'yaml'
    else:
        vs, ext = meta_variants(rng, int(count), data), 'meta'
    for i, (what, b) in enumerate(vs):
        what = ''.join(c if c.isalnum() or c in '.+=-' else '_' for c in what)[:60]
        with open('%s/%03d-%s.%s' % (outdir, i, what, ext), 'wb') as f:
            f.write(b)


main()
