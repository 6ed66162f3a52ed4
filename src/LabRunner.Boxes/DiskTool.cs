using System.Text.Json;
using LabRunner.HostCommon.Disks;
using LabRunner.HostCommon.Running;

namespace LabRunner.Boxes;

/// <summary>
/// <c>qemu-img</c>, when the machine has it: converts a disk the provider cannot boot (once, at add time)
/// and reads a disk's virtual size. Runs with an argument vector, never through a shell.
/// </summary>
public sealed class DiskTool(IHostCommandRunner runner, string executable = "qemu-img")
{
    public const string ConvertHint = "qemu-img convert -O vhdx -o subformat=dynamic DISK DISK.vhdx";

    /// <summary>Converts <paramref name="source"/> to a dynamic VHDX at <paramref name="target"/>.</summary>
    /// <exception cref="BoxException">qemu-img is missing or failed; the message says how to convert by hand.</exception>
    public async Task ConvertToVhdxAsync(string source, DiskFormat from, string target, CancellationToken cancellationToken)
    {
        var command = new HostCommand(executable, ["convert", "-f", from.QemuName(), "-O", "vhdx", "-o", "subformat=dynamic", source, target]);
        HostCommandResult result;
        try
        {
            result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (HostCommandStartException)
        {
            throw new BoxException(BoxErrorKind.Source,
                $"The box's disk is {from.FormatName()}, which Hyper-V cannot boot, and qemu-img (which would convert it) is not installed. " +
                $"Install QEMU's qemu-img, or convert the disk yourself ({ConvertHint}) and add the .vhdx.");
        }
        if (!result.Succeeded)
            throw new BoxException(BoxErrorKind.Source, $"qemu-img could not convert the box's {from.FormatName()} disk to VHDX: {result.StandardError.Trim()}");
    }

    /// <summary>The size the guest sees; null when qemu-img is missing or cannot tell.</summary>
    public async Task<long?> VirtualSizeAsync(string disk, DiskFormat format, CancellationToken cancellationToken)
    {
        try
        {
            var result = await runner.RunAsync(new HostCommand(executable, ["info", "--output=json", "-f", format.QemuName(), disk]), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded) return null;
            using var doc = JsonDocument.Parse(result.StandardOutput);
            return doc.RootElement.TryGetProperty("virtual-size", out var size) && size.TryGetInt64(out var n) ? n : null;
        }
        catch (HostCommandStartException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
