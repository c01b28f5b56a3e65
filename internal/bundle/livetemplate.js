"use strict";(()=>{var e=class{constructor(t={}){this.options=t}};window.LiveTemplateClient=e;})();
