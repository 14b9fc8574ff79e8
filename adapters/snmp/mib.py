"""Numeric OIDs of the MIB objects the driver reads (Debian ships no IETF MIB files, and lookups
would halve throughput: the driver never resolves names)."""

from __future__ import annotations

from typing import Final

from adapters.snmp.ber import Oid

SYSTEM: Final[Oid] = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR: Final[Oid] = (*SYSTEM, 1, 0)
SYS_OBJECT_ID: Final[Oid] = (*SYSTEM, 2, 0)
SYS_UPTIME: Final[Oid] = (*SYSTEM, 3, 0)
SYS_CONTACT: Final[Oid] = (*SYSTEM, 4, 0)
SYS_NAME: Final[Oid] = (*SYSTEM, 5, 0)
SYS_LOCATION: Final[Oid] = (*SYSTEM, 6, 0)

IF_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_TABLE: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 2)
IFX_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
IFX_TABLE: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 1)

IP_ADDR_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 4, 20, 1)
IP_ADDRESS_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 4, 34, 1)

LLDP_LOC_PORT_ENTRY: Final[Oid] = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
LLDP_REM_ENTRY: Final[Oid] = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
LLDP_REM_MAN_ADDR_ENTRY: Final[Oid] = (1, 0, 8802, 1, 1, 2, 1, 4, 2, 1)

BGP_LOCAL_AS: Final[Oid] = (1, 3, 6, 1, 2, 1, 15, 2, 0)
BGP_PEER_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 15, 3, 1)
OSPF_NBR_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 14, 10, 1)

ENT_PHYSICAL_SERIAL: Final[Oid] = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11)
HR_PROCESSOR_LOAD: Final[Oid] = (1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2)
HR_STORAGE_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1)
HR_STORAGE_RAM: Final[Oid] = (1, 3, 6, 1, 2, 1, 25, 2, 1, 2)

# Notifications
SNMP_TRAP_OID: Final[Oid] = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAPS: Final[Oid] = (1, 3, 6, 1, 6, 3, 1, 1, 5)
COLD_START: Final[Oid] = (*SNMP_TRAPS, 1)
WARM_START: Final[Oid] = (*SNMP_TRAPS, 2)
LINK_DOWN: Final[Oid] = (*SNMP_TRAPS, 3)
LINK_UP: Final[Oid] = (*SNMP_TRAPS, 4)
AUTHENTICATION_FAILURE: Final[Oid] = (*SNMP_TRAPS, 5)
BGP_BACKWARD_TRANSITION: Final[Oid] = (1, 3, 6, 1, 2, 1, 15, 7, 2)
BGP_ESTABLISHED: Final[Oid] = (1, 3, 6, 1, 2, 1, 15, 7, 1)
OSPF_NBR_STATE_CHANGE: Final[Oid] = (1, 3, 6, 1, 2, 1, 14, 16, 2, 2)

ENTERPRISES: Final[dict[int, str]] = {
    8072: "net-snmp",
    9: "Cisco",
    2636: "Juniper Networks",
    30065: "Arista Networks",
    11: "HP",
    2011: "Huawei",
    6527: "Nokia",
    12356: "Fortinet",
    25461: "Palo Alto Networks",
    14988: "MikroTik",
}
