using System.Collections.Immutable;
using System.Diagnostics.Contracts;
using System.Globalization;
using System.Text.RegularExpressions;
using LabRunner.Providers.Qemu.Acceleration;
using LabRunner.HostCommon.Disks;
using LabRunner.Providers.Qemu.Network;
using LabRunner.HostCommon.Running;

namespace LabRunner.Providers.Qemu.CommandLine;

/// <summary>The firmware a VM boots: the Labfile's <c>generation: 1|2</c>.</summary>
public enum QemuFirmware
{
    /// <summary>Generation 1: SeaBIOS on the <c>pc</c> (i440FX) machine.</summary>
    Bios,

    /// <summary>Generation 2: OVMF UEFI on the <c>q35</c> machine (secure boot off).</summary>
    Uefi,
}

/// <summary>One network adapter: a tap the provider created (and enslaved to the network's bridge) and the planned MAC.</summary>
public sealed record QemuNetworkAdapter(string Tap, string MacAddress);

/// <summary>One shared folder: the tag the guest mounts and the vhost-user socket its virtiofsd listens on.</summary>
public sealed record QemuShare(string Tag, string Socket);

/// <summary>
/// The <c>qemu-system-x86_64</c> argument vector of one VM: an immutable builder (<c>WithX</c> returns a
/// new one), rendered by <see cref="ToArguments"/>. Pure: it names files, it creates none (the provider
/// creates the overlay, the copy of the UEFI variables and the taps before starting QEMU).
/// </summary>
/// <remarks>
/// <para>Devices are virtio: Debian's cloud kernel has no AHCI driver, so on <c>q35</c> a SATA CD-ROM (what
/// <c>-cdrom</c> gives) is invisible to it. The seed ISO is a SCSI CD-ROM on virtio-scsi on both machines
/// (one layout, one golden file); the disk is virtio-blk.</para>
/// <para>QMP and the serial console are spelled as <c>-chardev</c> options rather than the short
/// <c>-qmp unix:PATH,…</c>/<c>-serial file:PATH</c> forms so that every path goes through QEMU's option
/// parser, where <see cref="QemuOpts.Escape"/> makes a comma in a path harmless.</para>
/// <para><c>-nodefaults -no-user-config</c>: no default NIC, VGA, floppy, CD-ROM, monitor or serial port, and
/// no host configuration file; everything the VM has is listed here.</para>
/// </remarks>
public sealed partial record QemuCommandLine
{
    public const string Executable = "qemu-system-x86_64";

    /// <summary>Where Debian's <c>ovmf</c> package installs the UEFI code (4 MiB flash layout).</summary>
    public const string DefaultOvmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";

    /// <summary>The pristine UEFI variable store each VM gets a copy of.</summary>
    public const string DefaultOvmfVarsTemplate = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    private QemuCommandLine(string name) => Name = name;

    /// <summary>A command line for VM <paramref name="name"/> with the defaults: BIOS, TCG, 1 CPU, 1024 MiB, daemonized.</summary>
    public static QemuCommandLine ForVm(string name)
    {
        if (!OwnershipMark.IsToken(name)) throw new ArgumentException($"'{name}' is not a VM name.", nameof(name));
        return new QemuCommandLine(name);
    }

    public string Name { get; private init; }
    public QemuFirmware Firmware { get; private init; } = QemuFirmware.Bios;
    public string OvmfCode { get; private init; } = DefaultOvmfCode;
    public string? OvmfVars { get; private init; }
    public DiskFormat OvmfVarsFormat { get; private init; } = DiskFormat.Qcow2;
    public QemuAccelerator Accelerator { get; private init; } = QemuAccelerator.Tcg;
    public int Cpus { get; private init; } = 1;
    public int MemoryMiB { get; private init; } = 1024;
    public string? Disk { get; private init; }
    public DiskFormat DiskFormat { get; private init; } = DiskFormat.Qcow2;
    public string? SeedIso { get; private init; }
    public ImmutableArray<QemuNetworkAdapter> Adapters { get; private init; } = [];
    public ImmutableArray<QemuShare> Shares { get; private init; } = [];
    public string? PidFile { get; private init; }
    public string? QmpSocket { get; private init; }
    public string? ConsoleLog { get; private init; }
    public bool Daemonize { get; private init; } = true;
    public bool StartPaused { get; private init; }

    /// <summary>
    /// The Labfile's generation: 1 → BIOS/<c>pc</c>, 2 → UEFI/<c>q35</c> with <paramref name="ovmfVars"/>, this VM's own
    /// variable store, a qcow2 image (<paramref name="ovmfVarsFormat"/>) so that internal snapshots cover the whole VM:
    /// QEMU refuses them while any writable drive is raw ("Device 'pflash1' is writable but does not support snapshots").
    /// </summary>
    [Pure]
    public QemuCommandLine WithGeneration(int generation, string? ovmfVars = null, DiskFormat ovmfVarsFormat = DiskFormat.Qcow2) => generation switch
    {
        1 => this with { Firmware = QemuFirmware.Bios, OvmfVars = null },
        2 => this with { Firmware = QemuFirmware.Uefi, OvmfVars = RequirePath(ovmfVars, nameof(ovmfVars)), OvmfVarsFormat = ovmfVarsFormat },
        _ => throw new ArgumentOutOfRangeException(nameof(generation), generation, "Generation is 1 or 2."),
    };

    /// <summary>Where the UEFI code is, when not Debian's default.</summary>
    [Pure]
    public QemuCommandLine WithOvmfCode(string path) => this with { OvmfCode = RequirePath(path, nameof(path)) };

    [Pure]
    public QemuCommandLine WithAccelerator(QemuAccelerator accelerator) => this with { Accelerator = accelerator };

    [Pure]
    public QemuCommandLine WithCpus(int cpus)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpus, 1);
        return this with { Cpus = cpus };
    }

    [Pure]
    public QemuCommandLine WithMemory(int mebibytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mebibytes, 32);
        return this with { MemoryMiB = mebibytes };
    }

    /// <summary>The VM's disk: normally its qcow2 overlay on the box.</summary>
    [Pure]
    public QemuCommandLine WithDisk(string path, DiskFormat format = DiskFormat.Qcow2) => this with { Disk = RequirePath(path, nameof(path)), DiskFormat = format };

    /// <summary>The cloud-init seed ISO, as a read-only CD-ROM; null for none.</summary>
    [Pure]
    public QemuCommandLine WithSeedIso(string? path) => this with { SeedIso = path is null ? null : RequirePath(path, nameof(path)) };

    /// <summary>Adds an adapter on <paramref name="tap"/> with MAC <paramref name="macAddress"/> (<c>02:1a:2b:3c:4d:5e</c> or <c>02-1A-2B-3C-4D-5E</c>).</summary>
    [Pure]
    public QemuCommandLine WithAdapter(string tap, string macAddress)
    {
        if (!InterfaceNames.IsValid(tap)) throw new ArgumentException($"'{tap}' is not an interface name.", nameof(tap));
        if (!MacPattern().IsMatch(macAddress)) throw new ArgumentException($"'{macAddress}' is not a MAC address.", nameof(macAddress));
        var mac = macAddress.Replace('-', ':').ToLowerInvariant();
        return this with { Adapters = Adapters.Add(new QemuNetworkAdapter(tap, mac)) };
    }

    /// <summary>
    /// Adds a virtiofs share: a <c>vhost-user-fs-pci</c> device with <paramref name="tag"/> on the virtiofsd listening at
    /// <paramref name="socket"/>. A VM with shares has its memory on a shared memfd backend, which vhost-user needs to
    /// reach the guest's memory.
    /// </summary>
    [Pure]
    public QemuCommandLine WithShare(string tag, string socket)
    {
        // The guest mounts by tag; at most 36 bytes (virtio-fs), and a token so that it is never QEMU option syntax.
        if (!OwnershipMark.IsToken(tag) || tag.Length > 36) throw new ArgumentException($"'{tag}' is not a share tag.", nameof(tag));
        if (Shares.Any(s => s.Tag == tag)) throw new ArgumentException($"The VM already has a share '{tag}'.", nameof(tag));
        return this with { Shares = Shares.Add(new QemuShare(tag, RequirePath(socket, nameof(socket)))) };
    }

    /// <summary>The files through which the provider controls and watches the process.</summary>
    [Pure]
    public QemuCommandLine WithControlFiles(string pidFile, string qmpSocket, string consoleLog) => this with
    {
        PidFile = RequirePath(pidFile, nameof(pidFile)),
        QmpSocket = RequirePath(qmpSocket, nameof(qmpSocket)),
        ConsoleLog = RequirePath(consoleLog, nameof(consoleLog)),
    };

    /// <summary>Whether QEMU detaches once the VM is set up (the provider's way); false keeps it in the foreground.</summary>
    [Pure]
    public QemuCommandLine WithDaemonize(bool daemonize) => this with { Daemonize = daemonize };

    /// <summary>Whether the CPUs start stopped (<c>-S</c>), until QMP <c>cont</c>.</summary>
    [Pure]
    public QemuCommandLine WithStartPaused(bool paused) => this with { StartPaused = paused };

    /// <summary>The arguments after the executable.</summary>
    public ImmutableArray<string> ToArguments()
    {
        var disk = Disk ?? throw new InvalidOperationException($"VM '{Name}' has no disk: call WithDisk.");
        if (PidFile is null || QmpSocket is null || ConsoleLog is null)
            throw new InvalidOperationException($"VM '{Name}' has no pid file, QMP socket or console log: call WithControlFiles.");

        var args = ImmutableArray.CreateBuilder<string>();
        void Add(params string[] values) => args.AddRange(values);

        Add("-name", "guest=" + QemuOpts.Escape(Name));
        Add("-nodefaults", "-no-user-config");
        Add("-machine", Firmware == QemuFirmware.Uefi ? "q35" : "pc");
        Add("-accel", Accelerator == QemuAccelerator.Kvm ? "kvm" : "tcg");
        if (Accelerator == QemuAccelerator.Kvm) Add("-cpu", "host");
        Add("-smp", Cpus.ToString(CultureInfo.InvariantCulture));
        Add("-m", MemoryMiB.ToString(CultureInfo.InvariantCulture) + "M");
        if (!Shares.IsEmpty)
        {
            // vhost-user: virtiofsd maps the guest's memory, so it must be a shared file mapping (one NUMA node holds it all).
            Add("-object", $"memory-backend-memfd,id=mem,size={MemoryMiB.ToString(CultureInfo.InvariantCulture)}M,share=on");
            Add("-numa", "node,memdev=mem");
        }
        if (Firmware == QemuFirmware.Uefi)
        {
            Add("-drive", "if=pflash,unit=0,format=raw,readonly=on,file=" + QemuOpts.Escape(OvmfCode));
            Add("-drive", $"if=pflash,unit=1,format={OvmfVarsFormat.QemuName()},file=" + QemuOpts.Escape(OvmfVars!));
        }
        Add("-drive", $"if=none,id=disk0,format={DiskFormat.QemuName()},file=" + QemuOpts.Escape(disk));
        Add("-device", "virtio-blk-pci,drive=disk0,bootindex=0");
        if (SeedIso is not null)
        {
            Add("-device", "virtio-scsi-pci,id=scsi0");
            Add("-drive", "if=none,id=seed,media=cdrom,readonly=on,format=raw,file=" + QemuOpts.Escape(SeedIso));
            Add("-device", "scsi-cd,bus=scsi0.0,drive=seed");
        }
        for (var i = 0; i < Adapters.Length; i++)
        {
            var adapter = Adapters[i];
            Add("-netdev", $"tap,id=net{i},ifname={adapter.Tap},script=no,downscript=no");
            Add("-device", $"virtio-net-pci,netdev=net{i},mac={adapter.MacAddress}");
        }
        for (var i = 0; i < Shares.Length; i++)
        {
            var share = Shares[i];
            Add("-chardev", $"socket,id=fs{i},path={QemuOpts.Escape(share.Socket)}");
            Add("-device", $"vhost-user-fs-pci,chardev=fs{i},tag={share.Tag}");
        }
        // Entropy for the guest's early boot (ssh host keys) under TCG, where it is otherwise scarce.
        Add("-device", "virtio-rng-pci");
        Add("-chardev", $"socket,id=qmp,path={QemuOpts.Escape(QmpSocket)},server=on,wait=off");
        Add("-mon", "chardev=qmp,mode=control");
        Add("-chardev", $"file,id=console,path={QemuOpts.Escape(ConsoleLog)}");
        Add("-serial", "chardev:console");
        Add("-display", "none");
        Add("-pidfile", PidFile);
        if (StartPaused) Add("-S");
        if (Daemonize) Add("-daemonize");
        return args.ToImmutable();
    }

    /// <summary>The whole command, ready for an <see cref="IHostCommandRunner"/> (and for <c>--what-if</c>).</summary>
    public HostCommand ToHostCommand() => new(Executable, ToArguments());

    private static string RequirePath(string? path, string parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path, parameter);
        if (path.Contains('\n', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException("A path cannot contain a newline or NUL.", parameter);
        return path;
    }

    [GeneratedRegex("^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}\\z")]
    private static partial Regex MacPattern();
}
