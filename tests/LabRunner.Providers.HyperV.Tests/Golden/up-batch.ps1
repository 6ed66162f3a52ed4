# LabRunner batch: up demo
# 15 operation(s) in one PowerShell process. Every value is a single-quoted literal: nothing in it runs.
# Progress goes to stdout as '##labrunner begin|ok|fail N' lines. A VM's error skips the rest of that VM;
# a host networking error stops the batch.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version '3.0'
$labrunnerStep = 0
trap {
    $labrunnerError = $_
    $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))
    $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))
    '##labrunner fail ' + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage
    exit 1
}

# [1/15] create internal switch 'demo-nat'
$labrunnerStep = 1
'##labrunner begin 1'
$null = Hyper-V\New-VMSwitch -Name 'demo-nat' -SwitchType 'Internal' -Notes 'labrunner:v1 lab=demo project=0f3a9c' -ErrorAction 'Stop'
'##labrunner ok 1'

# [2/15] give the host the address 172.30.1.1/24 on switch 'demo-nat'
$labrunnerStep = 2
'##labrunner begin 2'
$null = New-NetIPAddress -InterfaceAlias 'vEthernet (demo-nat)' -IPAddress '172.30.1.1' -PrefixLength 24 -AddressFamily 'IPv4' -ErrorAction 'Stop'
'##labrunner ok 2'

# [3/15] create NetNat 'LabRunnerNat' for 172.30.0.0/16
$labrunnerStep = 3
'##labrunner begin 3'
$null = New-NetNat -Name 'LabRunnerNat' -InternalIPInterfaceAddressPrefix '172.30.0.0/16' -ErrorAction 'Stop'
'##labrunner ok 3'

# [4/15] forward TCP 0.0.0.0:2222 to 172.30.1.10:22
$labrunnerStep = 4
'##labrunner begin 4'
$null = Add-NetNatStaticMapping -NatName 'LabRunnerNat' -Protocol 'TCP' -ExternalIPAddress '0.0.0.0' -ExternalPort 2222 -InternalIPAddress '172.30.1.10' -InternalPort 22 -ErrorAction 'Stop'
'##labrunner ok 4'

# [5/15] forward UDP 0.0.0.0:5353 to 172.30.1.10:53
$labrunnerStep = 5
'##labrunner begin 5'
$null = Add-NetNatStaticMapping -NatName 'LabRunnerNat' -Protocol 'UDP' -ExternalIPAddress '0.0.0.0' -ExternalPort 5353 -InternalIPAddress '172.30.1.10' -InternalPort 53 -ErrorAction 'Stop'
'##labrunner ok 5'

# [6/15] create private switch 'demo-backend'
$labrunnerStep = 6
'##labrunner begin 6'
$null = Hyper-V\New-VMSwitch -Name 'demo-backend' -SwitchType 'Private' -Notes 'labrunner:v1 lab=demo project=0f3a9c' -ErrorAction 'Stop'
'##labrunner ok 6'

# [7/15] create external switch 'LabRunner Bridge' on adapter 'Ethernet 2'
$labrunnerStep = 7
'##labrunner begin 7'
$null = Hyper-V\New-VMSwitch -Name 'LabRunner Bridge' -NetAdapterName 'Ethernet 2' -AllowManagementOS $true -Notes 'labrunner:v1 shared' -ErrorAction 'Stop'
'##labrunner ok 7'

# VM 'web': an error skips the rest of this VM's operations, not the other VMs'.
try {
    # [8/15] create differencing disk 'C:\src\demo\.lab\web\disk.vhdx' on 'C:\Users\dev\.labrunner\boxes\ubuntu-24.04\base.vhdx'
    $labrunnerStep = 8
    '##labrunner begin 8'
    $null = Hyper-V\New-VHD -Path 'C:\src\demo\.lab\web\disk.vhdx' -ParentPath 'C:\Users\dev\.labrunner\boxes\ubuntu-24.04\base.vhdx' -Differencing -ErrorAction 'Stop'
    '##labrunner ok 8'

    # [9/15] create generation 2 VM 'web'
    $labrunnerStep = 9
    '##labrunner begin 9'
    $null = Hyper-V\New-VM -Name 'web' -Generation 2 -MemoryStartupBytes 2147483648 -VHDPath 'C:\src\demo\.lab\web\disk.vhdx' -Path 'C:\src\demo\.lab\web' -ErrorAction 'Stop'
    Hyper-V\Set-VM -Name 'web' -Notes 'labrunner:v1 lab=demo project=0f3a9c' -ErrorAction 'Stop'
    Hyper-V\Set-VM -Name 'web' -AutomaticCheckpointsEnabled $false -ErrorAction 'Stop'
    Hyper-V\Set-VM -Name 'web' -CheckpointType 'Standard' -ErrorAction 'Stop'
    Hyper-V\Get-VMNetworkAdapter -VMName 'web' -ErrorAction 'Stop' | Hyper-V\Remove-VMNetworkAdapter -ErrorAction 'Stop'
    '##labrunner ok 9'

    # [10/15] give VM 'web' 2 CPUs and 2GB of memory
    $labrunnerStep = 10
    '##labrunner begin 10'
    Hyper-V\Set-VM -Name 'web' -ProcessorCount 2 -StaticMemory -MemoryStartupBytes 2147483648 -ErrorAction 'Stop'
    '##labrunner ok 10'

    # [11/15] add adapter 'nat' (02-1A-2B-3C-4D-01) on 'demo-nat' to VM 'web'
    $labrunnerStep = 11
    '##labrunner begin 11'
    Hyper-V\Add-VMNetworkAdapter -VMName 'web' -Name 'nat' -SwitchName 'demo-nat' -StaticMacAddress '021A2B3C4D01' -ErrorAction 'Stop'
    '##labrunner ok 11'

    # [12/15] add adapter 'backend' (02-1A-2B-3C-4D-02) on 'demo-backend' to VM 'web'
    $labrunnerStep = 12
    '##labrunner begin 12'
    Hyper-V\Add-VMNetworkAdapter -VMName 'web' -Name 'backend' -SwitchName 'demo-backend' -StaticMacAddress '021A2B3C4D02' -ErrorAction 'Stop'
    '##labrunner ok 12'

    # [13/15] insert seed 'C:\src\demo\.lab\web\seed.iso' into VM 'web'
    $labrunnerStep = 13
    '##labrunner begin 13'
    $labrunnerDvd = @(Hyper-V\Get-VMDvdDrive -VMName 'web' -ErrorAction 'Stop' | Where-Object { [string]::IsNullOrEmpty($_.Path) })
    if ($labrunnerDvd.Count -gt 0) { Hyper-V\Set-VMDvdDrive -VMName 'web' -ControllerNumber $labrunnerDvd[0].ControllerNumber -ControllerLocation $labrunnerDvd[0].ControllerLocation -Path 'C:\src\demo\.lab\web\seed.iso' -ErrorAction 'Stop' }
    else { Hyper-V\Add-VMDvdDrive -VMName 'web' -Path 'C:\src\demo\.lab\web\seed.iso' -ErrorAction 'Stop' }
    '##labrunner ok 13'

    # [14/15] set firmware of VM 'web': secure boot on (MicrosoftUEFICertificateAuthority), boot from disk
    $labrunnerStep = 14
    '##labrunner begin 14'
    $labrunnerDisk = @(Hyper-V\Get-VMHardDiskDrive -VMName 'web' -ErrorAction 'Stop' | Where-Object { $_.Path -eq 'C:\src\demo\.lab\web\disk.vhdx' })
    if ($labrunnerDisk.Count -eq 0) { throw [System.Management.Automation.ErrorRecord]::new([System.Management.Automation.ItemNotFoundException]::new('VM ''web'' has no hard disk drive with the path ''C:\src\demo\.lab\web\disk.vhdx''.'), 'LabRunnerBootDiskNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null) }
    Hyper-V\Set-VMFirmware -VMName 'web' -EnableSecureBoot 'On' -SecureBootTemplate 'MicrosoftUEFICertificateAuthority' -FirstBootDevice $labrunnerDisk[0] -ErrorAction 'Stop'
    '##labrunner ok 14'

    # [15/15] start VM 'web'
    $labrunnerStep = 15
    '##labrunner begin 15'
    Hyper-V\Start-VM -Name 'web' -ErrorAction 'Stop'
    '##labrunner ok 15'
}
catch {
    $labrunnerError = $_
    $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))
    $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))
    '##labrunner fail ' + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage
}

exit 0
