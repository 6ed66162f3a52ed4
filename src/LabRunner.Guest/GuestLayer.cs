namespace LabRunner.Guest;

/// <summary>Marker for the guest-configuration layer (templates, unattend.xml, seed ISO).</summary>
public static class GuestLayer
{
    public const string SeedVolumeLabel = "cidata";
}
