"""The IVR flow engine (pure: no I/O, no clock): flows read from ``config/ivr.yaml``
(:func:`ivr.flow.parse.parse_flows`), run per caller by :class:`ivr.flow.engine.FlowRun`."""
