namespace LabRunner.Core.Hosting;

/// <summary>
/// A host folder a VM's guest reaches by <see cref="Tag"/> (a <c>type: virtiofs</c> synced folder; QEMU: a virtiofsd
/// and a <c>vhost-user-fs-pci</c> device with that tag). <see cref="Path"/> is the folder's full path on the host.
/// </summary>
public sealed record HostVmShare(string Tag, string Path);

/// <summary>
/// The VM gets the host folder <paramref name="Path"/> as share <paramref name="Tag"/> (the VM must be off; QEMU: the
/// next start runs a virtiofsd for it and gives the VM a shared memory backend and a vhost-user-fs device).
/// </summary>
public sealed record AddVmShare(string VmName, string Tag, string Path) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"share folder '{Path}' with VM '{VmName}' as '{Tag}'";
}

/// <summary>The VM's share <paramref name="Tag"/> goes (the VM must be off; the folder itself is not touched).</summary>
public sealed record RemoveVmShare(string VmName, string Tag) : HostOperation
{
    public override string? Vm => VmName;
    public override string Describe() => $"stop sharing '{Tag}' with VM '{VmName}'";
}
