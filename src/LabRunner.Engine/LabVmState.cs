using LabRunner.Core.Hosting;

namespace LabRunner.Engine;

/// <summary>A lab's VM as 'lab status' reports it: the host's state of a VM this lab owns, or why there is none to tell.</summary>
public enum LabVmState
{
    /// <summary>No VM of that name on the host.</summary>
    NotCreated,

    /// <summary>A VM of that name that is not this lab's (another project's, or no LabRunner mark).</summary>
    Foreign,

    /// <summary>This lab's VM, whose state the host could not tell.</summary>
    Unknown,

    Off,
    Running,
    Paused,
    Saved,
    Starting,
    Stopping,
    Other,
}

public static class LabVmStates
{
    /// <summary>The lab's view of a VM the host has in <paramref name="state"/>.</summary>
    public static LabVmState Of(VmState state) => state switch
    {
        VmState.Running => LabVmState.Running,
        VmState.Off => LabVmState.Off,
        VmState.Paused => LabVmState.Paused,
        VmState.Saved => LabVmState.Saved,
        VmState.Starting => LabVmState.Starting,
        VmState.Stopping => LabVmState.Stopping,
        _ => LabVmState.Other,
    };

    /// <summary>The name 'lab status' prints and its JSON carries: <c>running</c>, <c>not_created</c>, …</summary>
    public static string Name(this LabVmState state) => state switch
    {
        LabVmState.NotCreated => "not_created",
        LabVmState.Foreign => "foreign",
        LabVmState.Unknown => "unknown",
        LabVmState.Off => "off",
        LabVmState.Running => "running",
        LabVmState.Paused => "paused",
        LabVmState.Saved => "saved",
        LabVmState.Starting => "starting",
        LabVmState.Stopping => "stopping",
        LabVmState.Other => "other",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>The name in a sentence: <c>not created</c>.</summary>
    public static string Words(this LabVmState state) => state.Name().Replace('_', ' ');
}
