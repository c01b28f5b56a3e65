var t=class{constructor(o={}){this.options=o}};export{t as LiveTemplateClient};
