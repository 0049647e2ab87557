/** Guest clock offset and timers (spec.domain.clock). */
import { Obj, Opt, Str, Bool, Enum, type Static } from '../../schema/dsl';
import { Integer } from './domain-common';

export const HPET_TICK_POLICIES = ['delay', 'catchup', 'merge', 'discard'] as const;
export const PIT_TICK_POLICIES = ['delay', 'catchup', 'discard'] as const;
export const RTC_TICK_POLICIES = ['delay', 'catchup'] as const;
export const RTC_TRACKS = ['guest', 'wall'] as const;

function present() {
  return Opt(
    Bool('Set false to keep the machine type or a preset from adding this timer. True when left out.'),
  );
}

export const HPETTimer = Obj('High Precision Event Timer: several timers with periodic interrupts.', {
  tickPolicy: Opt(Enum('What to do with ticks QEMU could not inject on time.', HPET_TICK_POLICIES)),
  present: present(),
});
export type HPETTimer = Static<typeof HPETTimer>;

export const KVMTimer = Obj('KVM paravirtual clock, for Linux guests.', {
  present: present(),
});
export type KVMTimer = Static<typeof KVMTimer>;

export const PITTimer = Obj('Programmable Interval Timer with periodic interrupts.', {
  tickPolicy: Opt(Enum('What to do with ticks QEMU could not inject on time.', PIT_TICK_POLICIES)),
  present: present(),
});
export type PITTimer = Static<typeof PITTimer>;

export const RTCTimer = Obj('Real Time Clock, always running, with periodic interrupts.', {
  tickPolicy: Opt(Enum('What to do with ticks QEMU could not inject on time.', RTC_TICK_POLICIES)),
  present: present(),
  track: Opt(Enum('Which time the clock follows: guest time or host wall time.', RTC_TRACKS)),
});
export type RTCTimer = Static<typeof RTCTimer>;

export const HypervTimer = Obj('Hyper-V reference clock, for Windows guests.', {
  present: present(),
});
export type HypervTimer = Static<typeof HypervTimer>;

export const Timer = Obj('Timers attached to the guest.', {
  hpet: Opt(HPETTimer),
  kvm: Opt(KVMTimer),
  pit: Opt(PITTimer),
  rtc: Opt(RTCTimer),
  hyperv: Opt(HypervTimer),
});
export type Timer = Static<typeof Timer>;

export const ClockOffsetUTC = Obj('Start the guest clock at UTC on every boot.', {
  offsetSeconds: Opt(
    Integer('Seconds to add to UTC; when set, time changes the guest makes survive reboots.'),
  ),
});
export type ClockOffsetUTC = Static<typeof ClockOffsetUTC>;

// KubeVirt marks Clock to preserve unknown fields in its CRD; runtime validation stays strict.
export const Clock = Object.assign(
  Obj('Guest clock offset and timers; set exactly one of utc and timezone.', {
    utc: Opt(ClockOffsetUTC),
    timezone: Opt(
      Str(
        'Start the guest clock in this time zone, written as for the TZ variable, for example Europe/Paris.',
      ),
    ),
    timer: Opt(Timer),
  }),
  { 'x-kubernetes-preserve-unknown-fields': true },
);
export type Clock = Static<typeof Clock>;
