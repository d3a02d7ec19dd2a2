import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { passes, tcp, udp, type FilterInit, type FlowInit, type MatchCase } from "./testing";

const icmp4: FlowInit = { l4: { protocol: { case: "ICMPv4", value: { type: 8 } } } };
const icmp6: FlowInit = { l4: { protocol: { case: "ICMPv6", value: { type: 128 } } } };
const sctp: FlowInit = { l4: { protocol: { case: "SCTP", value: { sourcePort: 5000, destinationPort: 36412 } } } };
const vrrp: FlowInit = { l4: { protocol: { case: "VRRP", value: { vrid: 1 } } } };
const igmp: FlowInit = { l4: { protocol: { case: "IGMP", value: { type: 0x16 } } } };
const dns: FlowInit = { l4: udp(40000, 53), l7: { record: { case: "dns", value: { query: "x." } } } };
const httpFlow: FlowInit = { l4: tcp(40000, 80), l7: { record: { case: "http", value: { code: 200 } } } };
const kafka: FlowInit = { l4: tcp(40000, 9092), l7: { record: { case: "kafka", value: { topic: "t" } } } };

describe("l4 filters", () => {
  const table: Array<{ filter: FilterInit; cases: MatchCase[] }> = [
    {
      filter: { protocol: ["TCP"] },
      cases: [
        { name: "protocol names are case-insensitive", flow: { l4: tcp(1, 2) }, want: true },
        { name: "tcp also matches an L7 HTTP flow (it carries l4.TCP)", flow: httpFlow, want: true },
        { name: "tcp misses udp", flow: { l4: udp(1, 2) }, want: false },
        { name: "tcp misses a flow without l4", flow: {}, want: false },
      ],
    },
    {
      filter: { protocol: ["icmp"] },
      cases: [
        { name: "icmp matches ICMPv4", flow: icmp4, want: true },
        { name: "icmp matches ICMPv6", flow: icmp6, want: true },
      ],
    },
    {
      filter: { protocol: ["icmpv6"] },
      cases: [
        { name: "icmpv6 matches only ICMPv6", flow: icmp6, want: true },
        { name: "icmpv6 misses ICMPv4", flow: icmp4, want: false },
      ],
    },
    { filter: { protocol: ["icmpv4"] }, cases: [{ name: "icmpv4 matches ICMPv4", flow: icmp4, want: true }] },
    { filter: { protocol: ["udp"] }, cases: [{ name: "udp matches udp", flow: { l4: udp(1, 53) }, want: true }] },
    { filter: { protocol: ["sctp"] }, cases: [{ name: "sctp matches sctp", flow: sctp, want: true }] },
    { filter: { protocol: ["vrrp"] }, cases: [{ name: "vrrp matches vrrp", flow: vrrp, want: true }] },
    { filter: { protocol: ["igmp"] }, cases: [{ name: "igmp matches igmp", flow: igmp, want: true }] },
    {
      filter: { protocol: ["dns"] },
      cases: [
        { name: "dns matches L7 DNS records", flow: dns, want: true },
        { name: "dns does not match plain port 53 traffic", flow: { l4: udp(40000, 53) }, want: false },
      ],
    },
    {
      filter: { protocol: ["http", "kafka"] },
      cases: [
        { name: "http matches L7 HTTP records", flow: httpFlow, want: true },
        { name: "kafka matches L7 Kafka records", flow: kafka, want: true },
        { name: "L7 names do not match DNS", flow: dns, want: false },
      ],
    },
    {
      filter: { destinationPort: ["80", "0443"] },
      cases: [
        { name: "destination_port matches tcp", flow: { l4: tcp(40000, 80) }, want: true },
        { name: "ports parse as decimal, leading zeros allowed", flow: { l4: tcp(40000, 443) }, want: true },
        { name: "destination_port ignores the source port", flow: { l4: tcp(80, 40000) }, want: false },
        { name: "ICMP has no ports", flow: icmp4, want: false },
      ],
    },
    {
      filter: { sourcePort: ["5000"] },
      cases: [
        { name: "source_port matches sctp", flow: sctp, want: true },
        { name: "source_port matches udp", flow: { l4: udp(5000, 53) }, want: true },
      ],
    },
    {
      filter: { tcpFlags: [{ SYN: true }] },
      cases: [
        { name: "tcp_flags SYN matches SYN", flow: { l4: tcp(1, 2, { SYN: true }) }, want: true },
        { name: "tcp_flags SYN matches SYN+ACK (all-of, not exact)", flow: { l4: tcp(1, 2, { SYN: true, ACK: true }) }, want: true },
        { name: "tcp_flags SYN misses ACK", flow: { l4: tcp(1, 2, { ACK: true }) }, want: false },
        { name: "tcp_flags never match without flags", flow: { l4: tcp(1, 2) }, want: false },
        { name: "tcp_flags never match udp", flow: { l4: udp(1, 2) }, want: false },
      ],
    },
    {
      filter: { tcpFlags: [{ SYN: true, ACK: true }, { RST: true }] },
      cases: [
        { name: "each tcp_flags entry needs all its flags", flow: { l4: tcp(1, 2, { SYN: true }) }, want: false },
        { name: "tcp_flags entries are OR'ed", flow: { l4: tcp(1, 2, { RST: true, ACK: true }) }, want: true },
      ],
    },
    {
      filter: { tcpFlags: [{}] },
      cases: [{ name: "an empty tcp_flags entry matches any flow with flags", flow: { l4: tcp(1, 2, { FIN: true }) }, want: true }],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
